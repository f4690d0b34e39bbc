// Package errs is the service's one error vocabulary. Modules declare their
// sentinels with a Code; the web edge maps codes to HTTP statuses in one
// place and never sends an internal error's text to a client.
package errs

import "errors"

// Code is a stable, machine-readable error class, sent to clients as "code".
type Code string

// The codes the API uses. Internal is the default for unclassified errors.
const (
	Invalid      Code = "invalid"      // 422: input failed validation
	BadRequest   Code = "bad_request"  // 400: malformed request
	Unauthorized Code = "unauthorized" // 401: missing or wrong credentials
	Forbidden    Code = "forbidden"    // 403: not allowed from here
	NotFound     Code = "not_found"    // 404
	// MethodNotAllowed is 405: the route exists, the method does not.
	MethodNotAllowed Code = "method_not_allowed"
	Conflict         Code = "conflict"  // 409: duplicate or state clash
	TooLarge         Code = "too_large" // 413: request body over the limit
	// Unsupported is 415 (content type) or 406 (accepted type).
	Unsupported Code = "unsupported"
	Unavailable Code = "unavailable" // 503: a dependency is down
	Internal    Code = "internal"    // 500

	// TooManyRequests is 429: the caller must wait before trying again.
	TooManyRequests Code = "too_many_requests"
)

// Error is an error with a Code and a message safe to show a client.
type Error struct {
	Code    Code
	Message string
}

// Error implements error.
func (e *Error) Error() string { return e.Message }

// E returns a new *Error, typically stored in a module sentinel:
// var ErrNotFound = errs.E(errs.NotFound, "item not found").
func E(code Code, message string) *Error { return &Error{Code: code, Message: message} }

// CodeOf returns the Code of the first *Error in err's chain and its client
// message, or Internal and "" when there is none.
func CodeOf(err error) (Code, string) {
	var e *Error
	if errors.As(err, &e) {
		return e.Code, e.Message
	}
	return Internal, ""
}
