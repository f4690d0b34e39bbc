package web

import (
	"context"
	"net/http"
	"os"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"gomicro/app/config"
)

// HelloBody is the answer of GET /demo/hello.
type HelloBody struct {
	Msg  string `json:"msg" example:"hello world"`
	Time string `json:"time" doc:"Server time in app.timezone" example:"2026-01-02 15:04:05"`
	Host string `json:"host" doc:"Host name of the serving instance"`
}

type helloOutput struct{ Body HelloBody }

func registerHello(api huma.API, store *config.Store) {
	host, _ := os.Hostname()
	handler := func(ctx context.Context, _ *struct{}) (*helloOutput, error) {
		// LoadLocation caches zones internally; app.timezone was validated.
		loc, err := time.LoadLocation(store.Current().App.Timezone)
		if err != nil {
			loc = time.UTC
		}
		return &helloOutput{Body: HelloBody{
			Msg:  "hello world",
			Time: time.Now().In(loc).Format(time.DateTime),
			Host: host,
		}}, nil
	}
	for _, op := range []huma.Operation{
		{OperationID: "demo-hello", Path: "/demo/hello", Summary: "Hello world"},
		{OperationID: "demo-hello-legacy", Path: "/demo/hell/world", Summary: "Hello world (legacy path of the Python template)", Deprecated: true},
	} {
		op.Method = http.MethodGet
		op.Tags = []string{"demo"}
		huma.Register(api, op, handler)
	}
}
