package xxljob_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	xxl "github.com/xxl-job/xxl-job-executor-go"
)

// javaCallback is one element of /api/callback as the Java admin decodes
// it (HandleCallbackParam), spelled out here so the wire names are checked
// independently of xxljob.Callback's tags.
type javaCallback struct {
	LogID      int64  `json:"logId"`
	LogDateTim int64  `json:"logDateTim"`
	HandleCode int    `json:"handleCode"`
	HandleMsg  string `json:"handleMsg"`
}

// fakeAdmin plays xxl-job-admin 2.4 at the protocol level: it answers
// /api/registry, /api/registryRemove and /api/callback like the Java admin,
// checks the access token, and records what it accepted.
type fakeAdmin struct {
	srv   *httptest.Server
	token string

	mu        sync.Mutex
	down      bool
	attempts  map[string]int // every call, accepted or not, by path
	regs      []xxl.Registry
	removes   []xxl.Registry
	callbacks map[int64][]javaCallback
	arrived   map[int64]time.Time
	changed   chan struct{} // closed and replaced on every accepted call
}

func newFakeAdmin(t testing.TB, token string) *fakeAdmin {
	t.Helper()
	a := &fakeAdmin{token: token, attempts: map[string]int{}, callbacks: map[int64][]javaCallback{},
		arrived: map[int64]time.Time{}, changed: make(chan struct{})}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *fakeAdmin) setDown(down bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.down = down
}

func (a *fakeAdmin) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.attempts[r.URL.Path]++
	if a.down {
		http.Error(w, "admin down", http.StatusServiceUnavailable)
		return
	}
	if r.Method != http.MethodPost || r.Header.Get("XXL-JOB-ACCESS-TOKEN") != a.token {
		_, _ = w.Write([]byte(`{"code":500,"msg":"The access token is wrong."}`))
		return
	}
	switch r.URL.Path {
	case "/api/registry", "/api/registryRemove":
		var reg xxl.Registry
		if err := json.Unmarshal(body, &reg); err != nil {
			_, _ = w.Write([]byte(`{"code":500,"msg":"bad registry"}`))
			return
		}
		if r.URL.Path == "/api/registry" {
			a.regs = append(a.regs, reg)
		} else {
			a.removes = append(a.removes, reg)
		}
	case "/api/callback":
		var cbs []javaCallback
		if err := json.Unmarshal(body, &cbs); err != nil {
			_, _ = w.Write([]byte(`{"code":500,"msg":"bad callback"}`))
			return
		}
		now := time.Now()
		for _, cb := range cbs {
			a.callbacks[cb.LogID] = append(a.callbacks[cb.LogID], cb)
			if _, ok := a.arrived[cb.LogID]; !ok {
				a.arrived[cb.LogID] = now
			}
		}
	default:
		http.NotFound(w, r)
		return
	}
	close(a.changed)
	a.changed = make(chan struct{})
	_, _ = w.Write([]byte(`{"code":200,"msg":null,"content":null}`))
}

// await blocks until cond, checked under the admin's lock after every
// accepted call, holds; it fails the test after 15 s.
func (a *fakeAdmin) await(t testing.TB, what string, cond func(a *fakeAdmin) bool) {
	t.Helper()
	deadline := time.NewTimer(15 * time.Second)
	defer deadline.Stop()
	for {
		a.mu.Lock()
		ok, ch := cond(a), a.changed
		a.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("admin: timed out waiting for %s", what)
		}
	}
}

// awaitCallbacks waits for a callback of each log id and returns the first
// of each.
func (a *fakeAdmin) awaitCallbacks(t testing.TB, ids ...int64) map[int64]javaCallback {
	t.Helper()
	a.await(t, "callbacks", func(a *fakeAdmin) bool {
		for _, id := range ids {
			if len(a.callbacks[id]) == 0 {
				return false
			}
		}
		return true
	})
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[int64]javaCallback{}
	for _, id := range ids {
		out[id] = a.callbacks[id][0]
	}
	return out
}

// count returns how many callbacks of id the admin accepted.
func (a *fakeAdmin) count(id int64) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.callbacks[id])
}

func (a *fakeAdmin) attemptsOf(path string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.attempts[path]
}
