package wecom

import (
	"errors"
	"fmt"

	"gomicro/app/errs"
)

// Sentinels returned (wrapped) by the client; match them with errors.Is.
var (
	// ErrUnknownRobot means the robot name is not in wechat.robot_templates.
	ErrUnknownRobot = errs.E(errs.NotFound, "wecom robot not configured")
	// ErrInvalidMessage means a message breaks WeCom's rules (an empty
	// content, too many articles, an image over 2 MB...) and was not sent.
	ErrInvalidMessage = errs.E(errs.Invalid, "invalid wecom message")
	// ErrInvalidTemplate means a template and its parameters do not fit.
	ErrInvalidTemplate = errs.E(errs.Invalid, "invalid wecom template")
	// ErrQueueFull means the robot's queue is full; the message was logged
	// whole and not queued.
	ErrQueueFull = errs.E(errs.Unavailable, "wecom queue full")
	// ErrClosed means the client is shutting down; the message was logged
	// whole and not queued, or could not be sent before the deadline.
	ErrClosed = errs.E(errs.Unavailable, "wecom client closed")
)

// WeCom errcodes the client treats specially.
const (
	// CodeBusy is WeCom's "system busy": retried.
	CodeBusy = -1
	// CodeRateLimited is the answer past 20 messages a minute: retried
	// after a back-off.
	CodeRateLimited = 45009
	// CodeInvalidWebhook is an unknown or revoked key: never retried.
	CodeInvalidWebhook = 93000
)

// APIError is an answer from WeCom with a non-zero errcode. Match it with
// errors.As to read Code.
type APIError struct {
	Code int
	Msg  string
}

// Error implements error.
func (e *APIError) Error() string { return fmt.Sprintf("wecom errcode %d: %s", e.Code, e.Msg) }

// Temporary reports whether the same request may succeed later: rate
// limiting and "system busy". Everything else (a bad key, a bad body) is
// permanent.
func (e *APIError) Temporary() bool { return e.Code == CodeRateLimited || e.Code == CodeBusy }

// StatusError is an HTTP status other than 200 from WeCom (or a proxy in
// front of it).
type StatusError struct {
	Status int
}

// Error implements error.
func (e *StatusError) Error() string { return fmt.Sprintf("wecom http status %d", e.Status) }

// Temporary reports whether the status is worth retrying: 429 and 5xx.
func (e *StatusError) Temporary() bool { return e.Status == 429 || e.Status >= 500 }

// netError marks a failure to reach WeCom at all; those are retried. msg is
// the cause's text with the key masked.
type netError struct {
	msg string
	err error
}

func (e *netError) Error() string { return e.msg }
func (e *netError) Unwrap() error { return e.err }

// retryable reports whether err is worth another attempt.
func retryable(err error) bool {
	var api *APIError
	if errors.As(err, &api) {
		return api.Temporary()
	}
	var st *StatusError
	if errors.As(err, &st) {
		return st.Temporary()
	}
	var ne *netError
	return errors.As(err, &ne)
}

// rateLimited reports whether err is WeCom's 45009.
func rateLimited(err error) bool {
	var api *APIError
	return errors.As(err, &api) && api.Code == CodeRateLimited
}
