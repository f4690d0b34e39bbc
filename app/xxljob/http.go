package xxljob

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	xxl "github.com/xxl-job/xxl-job-executor-go"
)

const (
	maxBody       = 1 << 20
	msgWrongToken = "The access token is wrong."
	msgBadMethod  = "invalid request, HttpMethod not support."
)

// reply is the Java executor's ReturnT: every answer is an object, never the
// array the library answers /run refusals with.
type reply struct {
	Code    int64  `json:"code"`
	Msg     string `json:"msg"`
	Content any    `json:"content"`
}

// jobReq is the body of /idleBeat and /kill.
type jobReq struct {
	JobID int64 `json:"jobId"`
}

// Handler returns the executor's HTTP endpoints: the five the admin calls
// (POST, JSON, access token checked on every call) and GET /metrics. Any
// other method or path is answered as the Java executor does: HTTP 200 with
// a failure object, so the admin shows the reason instead of a status.
func (e *Executor) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /beat", e.guard(func(*http.Request) any { return reply{Code: codeOK} }))
	mux.Handle("POST /idleBeat", e.guard(e.serveIdleBeat))
	mux.Handle("POST /run", e.guard(e.serveRun))
	mux.Handle("POST /kill", e.guard(e.serveKill))
	mux.Handle("POST /log", e.guard(e.serveLog))
	mux.Handle("GET /metrics", promhttp.HandlerFor(e.metrics.reg, promhttp.HandlerOpts{}))
	unknown := e.guard(func(r *http.Request) any {
		return reply{Code: codeFail, Msg: fmt.Sprintf("invalid request, uri-mapping(%s) not found.", r.URL.Path)}
	})
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost { // checked before the token, as in Java
			writeReply(w, reply{Code: codeFail, Msg: msgBadMethod})
			return
		}
		unknown.ServeHTTP(w, r)
	}))
	return mux
}

func writeReply(w http.ResponseWriter, out any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_ = json.NewEncoder(w).Encode(out)
}

// guard checks the access token in constant time, bounds the body and
// writes fn's answer as JSON with status 200, as the admin expects.
func (e *Executor) guard(fn func(*http.Request) any) http.Handler {
	want := []byte(e.cfg.AccessToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var out any
		got := []byte(r.Header.Get(tokenHeader))
		if len(want) > 0 && subtle.ConstantTimeCompare(got, want) != 1 {
			out = reply{Code: codeFail, Msg: msgWrongToken}
		} else {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
			out = fn(r)
		}
		writeReply(w, out)
	})
}

func (e *Executor) serveRun(r *http.Request) any {
	var req xxl.RunReq
	if err := decode(r.Body, &req); err != nil {
		return reply{Code: codeFail, Msg: err.Error()}
	}
	if err := validateRun(&req); err != nil {
		return reply{Code: codeFail, Msg: err.Error()}
	}
	code, msg := e.trigger(&req)
	return reply{Code: code, Msg: msg}
}

func (e *Executor) serveKill(r *http.Request) any {
	var req jobReq
	if err := decode(r.Body, &req); err != nil {
		return reply{Code: codeFail, Msg: err.Error()}
	}
	code, msg := e.kill(req.JobID)
	return reply{Code: code, Msg: msg}
}

func (e *Executor) serveIdleBeat(r *http.Request) any {
	var req jobReq
	if err := decode(r.Body, &req); err != nil {
		return reply{Code: codeFail, Msg: err.Error()}
	}
	code, msg := e.idle(req.JobID)
	return reply{Code: code, Msg: msg}
}

func (e *Executor) serveLog(r *http.Request) any {
	var req xxl.LogReq
	if err := decode(r.Body, &req); err != nil {
		return reply{Code: codeFail, Msg: err.Error()}
	}
	if req.LogID <= 0 {
		return reply{Code: codeFail, Msg: "invalid request: logId must be positive"}
	}
	var h xxl.LogHandler = e.logs.read
	return h(&req)
}

// decode reads exactly one JSON value: anything but white space after it
// is refused, so a body the admin did not send whole (or one carrying a
// second request) is not half-understood. The message names the problem,
// never echoes the body.
func decode(body io.Reader, v any) error {
	dec := json.NewDecoder(body)
	err := dec.Decode(v)
	if err == nil {
		// Token reads past white space only; io.EOF is the one clean end.
		if _, terr := dec.Token(); !errors.Is(terr, io.EOF) {
			err = errTrailing
			if errors.As(terr, new(*http.MaxBytesError)) {
				err = terr
			}
		}
	}
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tooBig):
		return fmt.Errorf("invalid request: body over %d bytes", tooBig.Limit)
	case errors.Is(err, io.EOF):
		return errors.New("invalid request: empty body")
	case errors.Is(err, errTrailing):
		return err
	}
	return fmt.Errorf("invalid request: %w", err)
}

var errTrailing = errors.New("invalid request: data after the JSON object")

func validateRun(req *xxl.RunReq) error {
	switch {
	case req.JobID <= 0:
		return errors.New("invalid request: jobId must be positive")
	case req.LogID <= 0:
		return errors.New("invalid request: logId must be positive")
	case req.ExecutorHandler == "":
		return errors.New("invalid request: executorHandler is required")
	case req.GlueType != "" && req.GlueType != "BEAN":
		// GLUE and script jobs carry code for a JVM or a shell; this
		// executor runs registered Go tasks only.
		return fmt.Errorf("glueType[%s] is not valid.", req.GlueType)
	case req.ExecutorTimeout < 0:
		return errors.New("invalid request: executorTimeout must not be negative")
	case req.BroadcastTotal < 0 || req.BroadcastIndex < 0 ||
		(req.BroadcastTotal > 0 && req.BroadcastIndex >= req.BroadcastTotal):
		return errors.New("invalid request: broadcastIndex must be in [0, broadcastTotal)")
	}
	return nil
}
