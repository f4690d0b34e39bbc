package web

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/rs/zerolog"

	"gomicro/app/module"
)

// ComponentStatus is one entry of the /readyz answer.
type ComponentStatus struct {
	Status   string `json:"status" enum:"up,down" doc:"up or down"`
	Required bool   `json:"required"`
	Detail   string `json:"detail,omitempty"`
	Error    string `json:"error,omitempty"`
}

// ReadyBody is the /readyz answer.
type ReadyBody struct {
	Status     string                     `json:"status" enum:"ready,not_ready"`
	Components map[string]ComponentStatus `json:"components"`
}

type readyOutput struct {
	Status int
	Body   ReadyBody
}

type healthOutput struct {
	Body struct {
		Status string `json:"status" example:"ok"`
	}
}

func registerHealth(api huma.API, checks []module.Check) {
	huma.Register(api, huma.Operation{
		OperationID: "healthz",
		Method:      http.MethodGet,
		Path:        "/healthz",
		Summary:     "Liveness",
		Description: "Answers 200 while the process serves HTTP. Touches no dependency. No auth.",
		Tags:        []string{"health"},
	}, func(ctx context.Context, _ *struct{}) (*healthOutput, error) {
		out := &healthOutput{}
		out.Body.Status = "ok"
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "readyz",
		Method:      http.MethodGet,
		Path:        "/readyz",
		Summary:     "Readiness",
		Description: "Probes every configured dependency (each within 2 s) and reports each one; 503 when a required one is down. No auth.",
		Tags:        []string{"health"},
		Responses: map[string]*huma.Response{
			"503": {Description: "A required dependency is down"},
		},
	}, func(ctx context.Context, _ *struct{}) (*readyOutput, error) {
		return ready(ctx, checks), nil
	})
}

func ready(ctx context.Context, checks []module.Check) *readyOutput {
	out := &readyOutput{Status: http.StatusOK, Body: ReadyBody{Status: "ready", Components: map[string]ComponentStatus{}}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, ch := range checks {
		wg.Go(func() {
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			detail, err := ch.Probe(pctx)
			st := ComponentStatus{Status: "up", Required: ch.Required, Detail: detail}
			if err != nil {
				// The cause goes to the log, not to this unauthenticated
				// answer: it can name hosts and addresses.
				st.Status, st.Error = "down", "unavailable"
				zerolog.Ctx(ctx).Warn().Err(err).Str("component", ch.Name).Msg("readiness check failed")
			}
			mu.Lock()
			defer mu.Unlock()
			out.Body.Components[ch.Name] = st
			if err != nil && ch.Required {
				out.Status, out.Body.Status = http.StatusServiceUnavailable, "not_ready"
			}
		})
	}
	wg.Wait()
	return out
}
