package demo

import (
	"context"
	"net/http"
	"os"
	"sync"
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

// zoneCache remembers the last loaded location: time.LoadLocation parses
// tzdata on every call, which cost more than the rest of the handler.
type zoneCache struct {
	mu   sync.Mutex
	name string
	loc  *time.Location
}

func (z *zoneCache) get(name string) *time.Location {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.loc == nil || z.name != name {
		loc, err := time.LoadLocation(name) // validated with the config
		if err != nil {
			loc = time.UTC
		}
		z.name, z.loc = name, loc
	}
	return z.loc
}

// RegisterHello adds GET /demo/hello (and its legacy alias) to api: the
// smallest operation of the service, the baseline of its benchmarks.
func RegisterHello(api huma.API, store *config.Store) {
	host, _ := os.Hostname()
	zones := &zoneCache{}
	handler := func(ctx context.Context, _ *struct{}) (*helloOutput, error) {
		loc := zones.get(store.Current().App.Timezone)
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
