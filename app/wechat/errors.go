package wechat

import (
	"gomicro/app/config"
	"gomicro/app/errs"
)

// Callback refusals. The callback answers them with plain text (WeChat's
// protocol has no error body): not_found 404, forbidden 403, bad_request
// 400, too_large 413.
var (
	ErrUnknownAccount = errs.E(errs.NotFound, "no such account")
	ErrSignature      = errs.E(errs.Forbidden, "signature mismatch")
	ErrTimestamp      = errs.E(errs.Forbidden, "timestamp outside the allowed skew")
	ErrAppID          = errs.E(errs.Forbidden, "message sealed for another appid")
	ErrMalformed      = errs.E(errs.BadRequest, "body is not well-formed XML")
	ErrDoctype        = errs.E(errs.BadRequest, "DOCTYPE and entity declarations are not accepted")
	ErrBadCiphertext  = errs.E(errs.BadRequest, "encrypted message is malformed")
	ErrEncryptType    = errs.E(errs.BadRequest, "unknown encrypt_type")
	ErrNoKey          = errs.E(errs.BadRequest, "encrypted message for an account without encoding_aes_key")
	ErrTooLarge       = errs.E(errs.TooLarge, "body over the limit")
)

// Admin API errors; the web edge maps them to 404, 409 and 422.
var (
	ErrBadKey          = errs.E(errs.Invalid, "encoding_aes_key must be 43 base64 characters")
	ErrAccountNotFound = errs.E(errs.NotFound, "account not found")
	ErrAccountExists   = errs.E(errs.Conflict, "an account with this name already exists")
	ErrConfigAccount   = errs.E(errs.Conflict, "the account comes from config (wechat_oa.accounts); change it there")
	ErrRuleNotFound    = errs.E(errs.NotFound, "rule not found")
	ErrBadRegex        = errs.E(errs.Invalid, "pattern is not a valid regular expression")
	ErrUnknownUnit     = errs.E(errs.Invalid, "units names a unit that does not exist or is not optional")
	ErrForwardURL      = errs.E(errs.Invalid, "the forward unit needs forward_url")
	ErrNoCustomAPI     = errs.E(errs.Invalid, "the account has no app_secret: the customer-service API is out of reach")
	ErrMaskedSecret    = errs.E(errs.Invalid, "token and app_secret take the secret itself, not the mask answers show ("+config.Mask+"); leave a field out to keep it")
)
