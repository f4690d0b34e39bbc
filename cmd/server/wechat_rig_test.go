package main

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gomicro/app/amqpclient/amqptest"
	"gomicro/app/redisclient/redistest"
)

const (
	rigToken  = "rig-t0ken"
	rigAppID  = "wx00000000000000aa"
	rigSecret = "rig-app-secret"
)

// csAPI plays WeChat's API for the workers: stable_token hands out one
// token, message/custom/send records each text by recipient.
type csAPI struct {
	srv   *httptest.Server
	mu    sync.Mutex
	texts []string
}

func newCSAPI(t *testing.T) *csAPI {
	a := &csAPI{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /cgi-bin/stable_token", func(w http.ResponseWriter, r *http.Request) {
		var req map[string]any
		if json.NewDecoder(r.Body).Decode(&req) != nil || req["appid"] != rigAppID || req["secret"] != rigSecret {
			_, _ = io.WriteString(w, `{"errcode":40013,"errmsg":"invalid appid"}`)
			return
		}
		_, _ = io.WriteString(w, `{"access_token":"RIG-TOKEN","expires_in":7200}`)
	})
	mux.HandleFunc("POST /cgi-bin/message/custom/send", func(w http.ResponseWriter, r *http.Request) {
		var msg struct {
			ToUser  string `json:"touser"`
			MsgType string `json:"msgtype"`
			Text    struct {
				Content string `json:"content"`
			} `json:"text"`
		}
		if r.URL.Query().Get("access_token") != "RIG-TOKEN" || json.NewDecoder(r.Body).Decode(&msg) != nil || msg.MsgType != "text" {
			_, _ = io.WriteString(w, `{"errcode":40001,"errmsg":"invalid credential"}`)
			return
		}
		a.mu.Lock()
		a.texts = append(a.texts, msg.Text.Content)
		a.mu.Unlock()
		_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	})
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	return a
}

func (a *csAPI) sent() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.texts)
}

// forwarder is the account's forward_url: it answers {"reply":"re:<content>"}
// after delay(content), or, while held, only once released. It records
// each call's content and X-Trace-Id.
type forwarder struct {
	srv   *httptest.Server
	delay func(content string) time.Duration

	mu      sync.Mutex
	calls   map[string]int
	traces  map[string]string
	held    int
	release chan struct{} // nil: not holding
}

func newForwarder(t *testing.T) *forwarder {
	f := &forwarder{calls: map[string]int{}, traces: map[string]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() { f.unhold(); f.srv.Close() })
	return f
}

func (f *forwarder) serve(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Content string `json:"content"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.calls[req.Content]++
	f.traces[req.Content] = r.Header.Get("X-Trace-Id")
	release := f.release
	if release != nil {
		f.held++
	}
	f.mu.Unlock()
	if release != nil {
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
	}
	if f.delay != nil {
		select {
		case <-time.After(f.delay(req.Content)):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, `{"reply":%q}`, "re:"+req.Content)
}

func (f *forwarder) hold() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.release, f.held = make(chan struct{}), 0
}

func (f *forwarder) unhold() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.release != nil {
		close(f.release)
		f.release = nil
	}
}

func (f *forwarder) heldCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.held
}

func (f *forwarder) snapshot() (calls map[string]int, traces map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	calls, traces = map[string]int{}, map[string]string{}
	for k, v := range f.calls {
		calls[k] = v
	}
	for k, v := range f.traces {
		traces[k] = v
	}
	return calls, traces
}

// wechatRig is a deployment of the dispatch: one config file (account with
// the forward unit, Redis, the broker, a fresh queue and key prefix) that
// the agent and every worker process start from.
type wechatRig struct {
	t       *testing.T
	amqpURL string
	queue   string
	config  string
	api     *csAPI
	fwd     *forwarder
}

func newWeChatRig(t *testing.T, amqpURL string, replyTimeout time.Duration) *wechatRig {
	t.Helper()
	rcfg := redistest.Config(t)
	rig := &wechatRig{t: t, amqpURL: amqpURL, queue: amqptest.Queue(t, amqpURL), api: newCSAPI(t), fwd: newForwarder(t)}
	rig.config = shippedWith(t, fmt.Sprintf(`
wechat_oa:
  dispatch: amqp
  reply_timeout: %s
  api_base_url: %s
  worker_port: 0
  accounts:
    shop:
      app_id: %s
      app_secret: %s
      token: %s
      units: [forward]
      forward_url: %s
redis:
  addr: %q
  key_prefix: %q
amqp:
  url: %q
  queue: %q
  prefetch: 16
`, replyTimeout, rig.api.srv.URL, rigAppID, rigSecret, rigToken, rig.fwd.srv.URL, rcfg.Addr, rcfg.KeyPrefix, amqpURL, rig.queue))
	return rig
}

func (rig *wechatRig) environ(extra ...string) []string {
	env := testEnviron(rig.t)
	for i, kv := range env {
		if strings.HasPrefix(kv, "APP_CONFIG=") {
			env[i] = "APP_CONFIG=" + rig.config
		}
	}
	return append(env, extra...)
}

// process is the real binary started by a rig.
type process struct {
	cmd   *exec.Cmd
	lines *lineWatcher
	addr  string
}

func (rig *wechatRig) startAgent(extra ...string) *process {
	rig.t.Helper()
	cmd, lines := serverProcess(rig.t, nil, rig.environ(extra...))
	return &process{cmd: cmd, lines: lines, addr: lines.wait(rig.t, "listening", 20*time.Second)["addr"].(string)}
}

// startWorker starts `server wechat-worker` and waits until it consumes.
func (rig *wechatRig) startWorker(extra ...string) *process {
	rig.t.Helper()
	cmd, lines := serverProcess(rig.t, []string{"wechat-worker"}, rig.environ(extra...))
	p := &process{cmd: cmd, lines: lines, addr: lines.wait(rig.t, "listening", 20*time.Second)["addr"].(string)}
	lines.wait(rig.t, "wechat worker consuming", 20*time.Second)
	return p
}

// answer is one callback's outcome as WeChat sees it.
type answer struct {
	content string // the reply's text; "" for success
	traceID string
	elapsed time.Duration
}

// send posts text message n (content m<n>, MsgId n) to the agent, signed
// as WeChat signs plain-mode callbacks.
func (rig *wechatRig) send(client *http.Client, addr string, n int) (answer, error) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nonce := strconv.Itoa(n)
	parts := []string{rigToken, ts, nonce}
	slices.Sort(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	q := url.Values{"signature": {hex.EncodeToString(sum[:])}, "timestamp": {ts}, "nonce": {nonce}}
	body := fmt.Sprintf(`<xml><ToUserName><![CDATA[gh_rig]]></ToUserName><FromUserName><![CDATA[o%d]]></FromUserName>`+
		`<CreateTime>%s</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[m%d]]></Content><MsgId>%d</MsgId></xml>`, n%50, ts, n, n)
	start := time.Now()
	res, err := client.Post("http://"+addr+"/wechat/shop?"+q.Encode(), "text/xml", strings.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{traceID: res.Header.Get("X-Trace-Id"), elapsed: time.Since(start)}
	if res.StatusCode != http.StatusOK {
		return a, fmt.Errorf("message %d: status %d: %s", n, res.StatusCode, raw)
	}
	if string(raw) == "success" {
		return a, nil
	}
	var reply struct {
		ToUserName string `xml:"ToUserName"`
		Content    string `xml:"Content"`
	}
	if err := xml.Unmarshal(raw, &reply); err != nil || reply.ToUserName != "o"+strconv.Itoa(n%50) {
		return a, fmt.Errorf("message %d: reply %s: %v", n, raw, err)
	}
	a.content = reply.Content
	return a, nil
}

// metric reads one sample of a process's /metrics, 0 when absent.
func metric(t *testing.T, addr, sample string) float64 {
	t.Helper()
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// waitUntil polls cond until it holds or timeout passes.
func waitUntil(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func readyz(t *testing.T, addr string) (int, string) {
	t.Helper()
	res, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}
