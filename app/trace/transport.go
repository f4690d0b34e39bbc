package trace

import "net/http"

// Transport forwards the trace id of each request's context to the callee
// as X-Trace-Id and traceparent. Every outbound HTTP client of the service
// (WeCom, xxl-job-admin, Nacos HTTP) is built on it.
type Transport struct {
	// Base does the actual round trip; nil means http.DefaultTransport.
	Base http.RoundTripper
}

// RoundTrip implements http.RoundTripper. It never modifies the caller's
// request: headers are set on a clone, as the RoundTripper contract asks.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	id := FromContext(req.Context())
	if id == "" {
		return base.RoundTrip(req)
	}
	out := req.Clone(req.Context())
	out.Header.Set(HeaderTraceID, id)
	out.Header.Set(HeaderTraceparent, Traceparent(id))
	return base.RoundTrip(out)
}

// NewClient returns an http.Client whose transport forwards trace ids.
func NewClient(base http.RoundTripper) *http.Client {
	return &http.Client{Transport: &Transport{Base: base}}
}
