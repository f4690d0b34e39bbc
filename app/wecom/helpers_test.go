package wecom_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"gomicro/app/config"
	"gomicro/app/logging/logtest"
	"gomicro/app/trace"
	"gomicro/app/wecom"
)

// testKey must never show up in a log line or an error.
const testKey = "k3y-0f-the-test-robot-7d1c"

// fakeClock is a manual clock: time moves only when a test advances it.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
	added   chan struct{} // pinged whenever After registers a waiter
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC), added: make(chan struct{}, 1)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeWaiter{at: c.now.Add(d), ch: ch})
	select {
	case c.added <- struct{}{}:
	default:
	}
	return ch
}

// Advance moves time by d and fires every waiter due by then.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.advanceTo(c.now.Add(d))
}

func (c *fakeClock) advanceTo(t time.Time) {
	if t.After(c.now) {
		c.now = t
	}
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = kept
}

// advanceToNext jumps to the earliest waiter and fires it; false when
// nobody waits.
func (c *fakeClock) advanceToNext() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.waiters) == 0 {
		return false
	}
	next := c.waiters[0].at
	for _, w := range c.waiters[1:] {
		if w.at.Before(next) {
			next = w.at
		}
	}
	c.advanceTo(next)
	return true
}

func (c *fakeClock) waiting() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

// received is one request the fake WeCom got.
type received struct {
	Path    string
	Key     string
	Query   url.Values
	TraceID string
	At      time.Time // on the fake clock
	Body    map[string]any
	Raw     []byte
	Upload  *upload
}

type upload struct {
	Field, Filename, Disposition string
	Data                         []byte
}

// fakeWeCom plays the robot webhook: it records requests and answers with
// errcodes chosen by the test.
type fakeWeCom struct {
	t     *testing.T
	clock *fakeClock
	srv   *httptest.Server
	got   chan struct{} // pinged on every request

	mu     sync.Mutex
	reqs   []received
	answer func(n int, r received) (status int, errcode int) // n counts from 1
	hold   chan struct{}                                     // when set, requests wait on it
}

func newFakeWeCom(t *testing.T, clock *fakeClock) *fakeWeCom {
	t.Helper()
	f := &fakeWeCom{t: t, clock: clock, got: make(chan struct{}, 1)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeWeCom) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	rec := received{Path: r.URL.Path, Key: r.URL.Query().Get("key"), Query: r.URL.Query(), TraceID: r.Header.Get(trace.HeaderTraceID), Raw: raw}
	if f.clock != nil {
		rec.At = f.clock.Now()
	}
	if strings.HasSuffix(r.URL.Path, "/upload_media") {
		rec.Upload = parseUpload(f.t, r.Header.Get("Content-Type"), raw)
	} else {
		_ = json.Unmarshal(raw, &rec.Body)
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, rec)
	n, answer, hold := len(f.reqs), f.answer, f.hold
	f.mu.Unlock()
	select {
	case f.got <- struct{}{}:
	default:
	}
	if hold != nil {
		<-hold
	}
	status, code := http.StatusOK, 0
	if answer != nil {
		status, code = answer(n, rec)
	}
	w.WriteHeader(status)
	out := map[string]any{"errcode": code, "errmsg": "ok"}
	if code != 0 {
		out["errmsg"] = "error from fake, url https://x/cgi-bin/webhook/send?key=" + rec.Key
	}
	if rec.Upload != nil {
		out["media_id"], out["type"] = "MEDIA-1", "file"
	}
	_ = json.NewEncoder(w).Encode(out)
}

func parseUpload(t *testing.T, contentType string, raw []byte) *upload {
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Errorf("upload content type %q: %v", contentType, err)
		return &upload{}
	}
	mr := multipart.NewReader(bytes.NewReader(raw), params["boundary"])
	p, err := mr.NextPart()
	if err != nil {
		t.Errorf("upload part: %v", err)
		return &upload{}
	}
	data, _ := io.ReadAll(p)
	return &upload{Field: p.FormName(), Filename: p.FileName(), Disposition: p.Header.Get("Content-Disposition"), Data: data}
}

func (f *fakeWeCom) requests() []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]received(nil), f.reqs...)
}

func (f *fakeWeCom) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

func (f *fakeWeCom) setAnswer(fn func(n int, r received) (int, int)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answer = fn
}

// waitFor polls cond until it holds, failing after 10 s of real time.
// With drive set it also moves the fake clock to its next waiter whenever
// cond does not hold yet, so minutes of pacing pass in milliseconds.
func waitFor(t *testing.T, f *fakeWeCom, clock *fakeClock, drive bool, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for !cond() {
		if drive && clock.advanceToNext() {
			continue
		}
		select {
		case <-f.got:
		case <-clock.added:
		case <-time.After(2 * time.Millisecond): // results arrive on other channels too
		case <-deadline.C:
			t.Fatalf("condition not met in time; %d requests so far", f.count())
		}
	}
}

// result waits for the error on done while driving the clock.
func result(t *testing.T, f *fakeWeCom, clock *fakeClock, done <-chan error) error {
	t.Helper()
	var err error
	waitFor(t, f, clock, true, func() bool {
		select {
		case err = <-done:
			return true
		default:
			return false
		}
	})
	return err
}

// logCtx returns a ctx carrying a JSON logger into a buffer that is checked
// for the key when the test ends.
func logCtx(t *testing.T) (context.Context, *logtest.Buffer) {
	t.Helper()
	buf := &logtest.Buffer{}
	l := zerolog.New(buf).With().Timestamp().Logger()
	t.Cleanup(func() {
		if strings.Contains(buf.String(), testKey) {
			t.Errorf("the robot key appears in the log output:\n%s", buf.String())
		}
	})
	return l.WithContext(context.Background()), buf
}

type setup struct {
	ctx    context.Context
	logs   *logtest.Buffer
	clock  *fakeClock
	wecom  *fakeWeCom
	client *wecom.Client
}

// newSetup starts a fake WeCom and a client whose robots "DEFAULT" and
// "ops" point at it, closed when the test ends.
func newSetup(t *testing.T, mod func(*config.WeChat)) *setup {
	t.Helper()
	ctx, logs := logCtx(t)
	clock := newFakeClock()
	f := newFakeWeCom(t, clock)
	cfg := config.WeChat{
		RobotBaseURL: f.srv.URL,
		RobotTemplates: map[string]config.RobotTemplate{
			"DEFAULT": {Key: testKey, Template: "服务 {} 失败: {}", AlarmLevel: "URGENT"},
			"ops":     {Key: testKey + "-ops", Template: "{0} / {1}", AlarmLevel: "NORMAL"},
		},
		QueueSize: 100,
		Timeout:   5 * time.Second,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := wecom.New(ctx, cfg, wecom.Options{Clock: clock})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_ = c.Close(cctx)
	})
	return &setup{ctx: ctx, logs: logs, clock: clock, wecom: f, client: c}
}

// jsonEqual compares a decoded request body with the expected JSON text.
func jsonEqual(t *testing.T, got map[string]any, want string) {
	t.Helper()
	var w map[string]any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expected JSON: %v", err)
	}
	g, _ := json.Marshal(got)
	e, _ := json.Marshal(w)
	if !bytes.Equal(g, e) {
		t.Errorf("body mismatch\n got: %s\nwant: %s", g, e)
	}
}
