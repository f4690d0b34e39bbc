// Package wecom sends messages to WeCom (企业微信) group robots: every
// message type of the robot webhook, split to WeCom's size limits, paced to
// its 20-per-minute rule, queued per robot and flushed on shutdown, with the
// robot key kept out of every log line and error. It also fills the config's
// robot templates at an alarm level and turns error log events into folded,
// rate-limited alerts.
package wecom
