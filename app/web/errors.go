package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"github.com/gin-gonic/gin"
	"github.com/rs/zerolog"

	"gomicro/app/errs"
	"gomicro/app/trace"
)

// ErrorBody is the one error model of the whole API: a stable machine code,
// a human message, the trace id to quote to ops, and per-field details for
// validation errors.
type ErrorBody struct {
	Status  int                 `json:"status" doc:"HTTP status code"`
	Code    errs.Code           `json:"code" doc:"Stable machine-readable error code" enum:"invalid,bad_request,unauthorized,forbidden,not_found,method_not_allowed,conflict,too_large,unsupported,too_many_requests,unavailable,internal"`
	Message string              `json:"message" doc:"Human-readable message"`
	TraceID string              `json:"trace_id" doc:"Trace id of the request, also in the X-Trace-Id header"`
	Errors  []*huma.ErrorDetail `json:"errors,omitempty" doc:"Offending fields, for validation errors (at most 20; the message counts the rest)"`

	// cause is the internal error behind a 5xx, logged with the request's
	// trace id when the answer is written, never sent; logMsg is the
	// message it is logged under.
	cause  error
	logMsg string
}

// Error implements error.
func (e *ErrorBody) Error() string { return e.Message }

// GetStatus implements huma.StatusError.
func (e *ErrorBody) GetStatus() int { return e.Status }

// ContentType keeps errors plain JSON, like every other response.
func (e *ErrorBody) ContentType(string) string { return "application/json" }

var statusOf = map[errs.Code]int{
	errs.Invalid:          http.StatusUnprocessableEntity,
	errs.BadRequest:       http.StatusBadRequest,
	errs.Unauthorized:     http.StatusUnauthorized,
	errs.Forbidden:        http.StatusForbidden,
	errs.NotFound:         http.StatusNotFound,
	errs.MethodNotAllowed: http.StatusMethodNotAllowed,
	errs.Unsupported:      http.StatusUnsupportedMediaType,
	errs.Conflict:         http.StatusConflict,
	errs.TooLarge:         http.StatusRequestEntityTooLarge,
	errs.Unavailable:      http.StatusServiceUnavailable,
	errs.TooManyRequests:  http.StatusTooManyRequests,
	errs.Internal:         http.StatusInternalServerError,
}

var codeOf = map[int]errs.Code{
	http.StatusBadRequest:            errs.BadRequest,
	http.StatusUnauthorized:          errs.Unauthorized,
	http.StatusForbidden:             errs.Forbidden,
	http.StatusNotFound:              errs.NotFound,
	http.StatusMethodNotAllowed:      errs.MethodNotAllowed,
	http.StatusNotAcceptable:         errs.Unsupported,
	http.StatusUnsupportedMediaType:  errs.Unsupported,
	http.StatusConflict:              errs.Conflict,
	http.StatusRequestEntityTooLarge: errs.TooLarge,
	http.StatusUnprocessableEntity:   errs.Invalid,
	http.StatusServiceUnavailable:    errs.Unavailable,
	http.StatusTooManyRequests:       errs.TooManyRequests,
}

// newError is the single place where an error becomes a status and a body.
// An error carrying an errs.Code gets that code's status and its safe
// message; any other error on a 5xx is kept as the body's cause, to be
// logged once with the trace id, and answered with a generic message, so
// internal text never reaches a client. Details are bounded (see details).
func newError(ctx context.Context, status int, msg string, causes ...error) *ErrorBody {
	body := &ErrorBody{Status: status, Message: msg, TraceID: trace.FromContext(ctx)}
	var list details
	var internal error
	for _, err := range causes {
		if err == nil {
			continue
		}
		if d, ok := err.(*huma.ErrorDetail); ok { // huma's own, by far the most common
			list.add(d)
			continue
		}
		if tooLarge := new(http.MaxBytesError); errors.As(err, &tooLarge) {
			body.Status, body.Code = http.StatusRequestEntityTooLarge, errs.TooLarge
			body.Message = fmt.Sprintf("request body over the limit of %d bytes", tooLarge.Limit)
			continue
		}
		var detail huma.ErrorDetailer
		if errors.As(err, &detail) {
			list.add(detail.ErrorDetail())
			continue
		}
		if code, safe := errs.CodeOf(err); code != errs.Internal {
			status, known := statusOf[code]
			if !known { // a module's own code with no mapping yet: a client error
				status = http.StatusBadRequest
			}
			body.Status, body.Code, body.Message = status, code, safe
			continue
		}
		internal = errors.Join(internal, err)
	}
	body.Errors = list.list
	body.Message = list.note(body.Message)
	if body.Code == "" {
		body.Code = codeOf[body.Status]
	}
	if body.Code == "" {
		body.Code = errs.Internal
		if body.Status >= 400 && body.Status < 500 {
			body.Code = errs.BadRequest
		}
	}
	if body.Status >= 500 && body.Code == errs.Internal {
		body.cause, body.logMsg = internal, msg
		body.Message = http.StatusText(body.Status)
	}
	return body
}

// logCause logs the internal cause of e, if any, through ctx's logger. It
// only reads e: an error value may be returned by many requests.
func (e *ErrorBody) logCause(ctx context.Context) {
	if e.cause != nil {
		zerolog.Ctx(ctx).Error().Err(e.cause).Int("status", e.Status).Msg(e.logMsg)
	}
}

// humaInputError is the message huma gives every input error, also a
// malformed body (400) and an unknown content type (415).
const humaInputError = "validation failed"

// honestMessage names what is wrong when huma's message does not: huma
// reports a body it could not decode as one detail at "body", with the
// status telling a malformed body from an unknown content type.
func honestMessage(hctx huma.Context, status int, msg string, causes []error) string {
	if msg != humaInputError || (status != http.StatusBadRequest && status != http.StatusUnsupportedMediaType) {
		return msg
	}
	for _, err := range causes {
		var d huma.ErrorDetailer
		if !errors.As(err, &d) || d.ErrorDetail().Location != "body" {
			continue
		}
		if status == http.StatusUnsupportedMediaType {
			return fmt.Sprintf("unsupported content type %q; send application/json", clip(hctx.Header("Content-Type"), maxValueBytes))
		}
		return "malformed JSON body: " + clip(d.ErrorDetail().Message, maxTextBytes)
	}
	return msg
}

var installOnce sync.Once

// installErrorModel points huma's error factory at newError. huma exposes
// that factory only as a package variable, so it is set once per process;
// every engine built by this package shares the same model anyway. Errors
// built without a request (huma.Error500InternalServerError and friends)
// get their trace id and have their cause logged in finishError.
func installErrorModel() {
	installOnce.Do(func() {
		huma.NewError = func(status int, msg string, causes ...error) huma.StatusError {
			return newError(context.Background(), status, msg, causes...)
		}
		huma.NewErrorWithContext = func(hctx huma.Context, status int, msg string, causes ...error) huma.StatusError {
			return newError(hctx.Context(), status, honestMessage(hctx, status, msg, causes), causes...)
		}
	})
}

// finishError is a huma transformer, run once on every answer huma writes:
// an error's internal cause is logged here, where the request's logger is
// known, and an error built without a request gets the trace id (on a
// copy, since the value may be shared).
func finishError(hctx huma.Context, _ string, v any) (any, error) {
	e, ok := v.(*ErrorBody)
	if !ok {
		return v, nil
	}
	ctx := hctx.Context()
	e.logCause(ctx)
	if e.TraceID == "" {
		cp := *e
		cp.TraceID = trace.FromContext(ctx)
		return &cp, nil
	}
	return e, nil
}

// abort answers a plain Gin route with the error model.
func abort(c *gin.Context, status int, msg string, causes ...error) {
	body := newError(c.Request.Context(), status, msg, causes...)
	body.logCause(c.Request.Context())
	c.AbortWithStatusJSON(body.Status, body)
}

// Abort answers a module's raw Gin route (Spec.Routes) with the same error
// model: a cause carrying an errs code sets status, code and message, as
// for huma operations; an internal cause is logged and never shown.
func Abort(c *gin.Context, status int, msg string, causes ...error) {
	abort(c, status, msg, causes...)
}
