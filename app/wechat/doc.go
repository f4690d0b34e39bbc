// Package wechat is the WeChat Official Account (公众号) module: the
// callback WeChat's server URL points at (/wechat/{app}, one per bound
// account), its plain, compatible and safe modes, a scanner for WeChat's
// one XML shape, the chain of units a message walks (voice_text, welcome,
// keyword, forward and a service's own), per-user sessions, dedup of
// WeChat's retries, late replies through the customer-service API with
// its access tokens, and the admin API of accounts and keyword rules.
//
// State that instances must share (dedup marks and answers, sessions,
// tokens, the accounts' change count) lives in Redis when redis.addr is
// set, in process otherwise.
package wechat
