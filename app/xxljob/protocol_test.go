package xxljob_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	xxl "github.com/xxl-job/xxl-job-executor-go"

	"gomicro/app/xxljob"
)

func TestRegistryHeartbeatFailoverAndRemove(t *testing.T) {
	down := newFakeAdmin(t, testToken)
	down.setDown(true)
	up := newFakeAdmin(t, testToken)
	h := start(t, setup{admins: down.srv.URL + ", " + up.srv.URL + "/", opts: xxljob.Options{Beat: 10 * time.Millisecond}})

	up.await(t, "three registry beats", func(a *fakeAdmin) bool { return len(a.regs) >= 3 })
	if down.attemptsOf("/api/registry") < 3 {
		t.Errorf("first admin tried %d times, want every beat", down.attemptsOf("/api/registry"))
	}
	up.mu.Lock()
	reg := up.regs[0]
	up.mu.Unlock()
	want := xxl.Registry{RegistryGroup: "EXECUTOR", RegistryKey: "gomicro-job-test", RegistryValue: h.ex.Address()}
	if reg != want {
		t.Errorf("registry = %+v, want %+v", reg, want)
	}
	if !strings.HasPrefix(reg.RegistryValue, "http://127.0.0.1:") || !strings.HasSuffix(reg.RegistryValue, "/") {
		t.Errorf("registryValue %q is not http://host:port/", reg.RegistryValue)
	}

	if err := h.stop(t, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	up.mu.Lock()
	removes := append([]xxl.Registry(nil), up.removes...)
	up.mu.Unlock()
	if len(removes) != 1 || removes[0] != want {
		t.Errorf("registryRemove = %+v, want one %+v", removes, want)
	}
	if a := h.trigger(t, runReq(1, 1, "demo_task", "", "")); a.Code != 500 {
		t.Errorf("run after stop = %d %q, want refused", a.Code, a.Msg)
	}
}

func TestTokenCheckedOnEveryEndpoint(t *testing.T) {
	admin := newFakeAdmin(t, testToken)
	h := start(t, setup{admins: admin.srv.URL})
	bodies := map[string]any{
		"/beat":     struct{}{},
		"/idleBeat": map[string]int64{"jobId": 1},
		"/run":      runReq(1, 1, "demo_task", "", ""),
		"/kill":     map[string]int64{"jobId": 1},
		"/log":      xxl.LogReq{LogDateTim: time.Now().UnixMilli(), LogID: 1, FromLineNum: 1},
	}
	for path, body := range bodies {
		for _, tc := range []struct{ name, token string }{{"missing", ""}, {"wrong", testToken + "x"}, {"prefix", testToken[:3]}} {
			t.Run(path+"/"+tc.name, func(t *testing.T) {
				a := h.call(t, path, tc.token, body)
				if a.Code != 500 || a.Msg != "The access token is wrong." {
					t.Errorf("answer %d %q, want 500 \"The access token is wrong.\"", a.Code, a.Msg)
				}
			})
		}
	}
	// Refused triggers never ran, so log id 1 is still fresh here.
	for _, path := range []string{"/beat", "/idleBeat", "/run", "/log", "/kill"} {
		t.Run(path+"/right", func(t *testing.T) {
			if a := h.call(t, path, testToken, bodies[path]); a.Code != 200 {
				t.Errorf("answer %d %q, want 200", a.Code, a.Msg)
			}
		})
	}
	admin.awaitCallbacks(t, 1)
}

func TestOtherMethodsAndPathsAnswerLikeJava(t *testing.T) {
	admin := newFakeAdmin(t, testToken)
	h := start(t, setup{admins: admin.srv.URL})
	h.mustTrigger(t, runReq(3, 30, "demo_task", `{"fail":true}`, ""))
	admin.awaitCallbacks(t, 30)

	// As the Java executor: HTTP 200 and a failure object, the method checked
	// before the token, the token before the path.
	for _, tc := range []struct{ method, path, token, want string }{
		{http.MethodGet, "/run", testToken, "invalid request, HttpMethod not support."},
		{http.MethodPut, "/beat", "", "invalid request, HttpMethod not support."},
		{http.MethodGet, "/nope", testToken, "invalid request, HttpMethod not support."},
		{http.MethodPost, "/nope", testToken, "invalid request, uri-mapping(/nope) not found."},
		{http.MethodPost, "/metrics", testToken, "invalid request, uri-mapping(/metrics) not found."},
		{http.MethodPost, "/nope", "", "The access token is wrong."},
	} {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, h.url+tc.path, strings.NewReader("{}"))
			if err != nil {
				t.Fatal(err)
			}
			if tc.token != "" {
				req.Header.Set("XXL-JOB-ACCESS-TOKEN", tc.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var a answer
			if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, body not an object: %v", resp.StatusCode, err)
			}
			if a.Code != 500 || a.Msg != tc.want {
				t.Errorf("answer %d %q, want 500 %q", a.Code, a.Msg, tc.want)
			}
		})
	}
	resp, err := http.Get(h.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`xxljob_runs_total{code="500",handler="demo_task"} 1`,
		`xxljob_run_failures_total{handler="demo_task"} 1`,
		`xxljob_run_duration_seconds_count{handler="demo_task"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestBadRequestsAnswerObjects(t *testing.T) {
	h := start(t, setup{})
	for _, tc := range []struct {
		name string
		body any
		want string
	}{
		{"unknown handler", runReq(1, 1, "nope", "", ""), "job handler [nope] not found."},
		{"no log id", runReq(1, 0, "demo_task", "", ""), "logId must be positive"},
		{"no job id", runReq(0, 1, "demo_task", "", ""), "jobId must be positive"},
		{"bad shard", xxl.RunReq{JobID: 1, LogID: 1, ExecutorHandler: "demo_task", BroadcastIndex: 2, BroadcastTotal: 2}, "broadcastIndex"},
		{"not json", "{", "invalid request"},
		{"glue job", xxl.RunReq{JobID: 1, LogID: 1, ExecutorHandler: "demo_task", GlueType: "GLUE_SHELL"}, "glueType[GLUE_SHELL] is not valid."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a answer
			if raw, ok := tc.body.(string); ok {
				a = h.callRaw(t, "/run", raw)
			} else {
				a = h.call(t, "/run", testToken, tc.body)
			}
			if a.Code != 500 || !strings.Contains(a.Msg, tc.want) {
				t.Errorf("answer %d %q, want 500 containing %q", a.Code, a.Msg, tc.want)
			}
		})
	}
}

// readLog asks /log for logID's lines from from on and returns the answer
// and its lines.
func readLog(t testing.TB, h *harness, req xxl.RunReq, from int) (xxl.LogResContent, []string) {
	t.Helper()
	a := h.call(t, "/log", testToken, xxl.LogReq{LogDateTim: req.LogDateTime, LogID: req.LogID, FromLineNum: from})
	var c xxl.LogResContent
	if err := json.Unmarshal(a.Content, &c); err != nil || a.Code != 200 {
		t.Fatalf("log answer %d %q: %v", a.Code, a.Msg, err)
	}
	if c.LogContent == "" {
		return c, nil
	}
	return c, strings.Split(strings.TrimSuffix(c.LogContent, "\n"), "\n")
}

// TestLogPagesThroughTenThousandLines pages through a live run's log as the
// admin UI polls it, then reads the finished log in one call, as admin 2.4
// does for a run that already has a result.
func TestLogPagesThroughTenThousandLines(t *testing.T) {
	admin := newFakeAdmin(t, testToken)
	wrote, release := make(chan struct{}), make(chan struct{})
	held := func(ctx context.Context, req *xxl.RunReq) (string, error) {
		msg, err := xxljob.DemoTask(ctx, req)
		close(wrote)
		select {
		case <-release:
		case <-ctx.Done():
		}
		return msg, err
	}
	h := start(t, setup{admins: admin.srv.URL, opts: xxljob.Options{LogPageLines: 700},
		tasks: map[string]xxljob.Handler{"held_demo": held}})
	req := runReq(5, 4242, "held_demo", `{"lines":10000}`, "")
	h.mustTrigger(t, req)
	select {
	case <-wrote:
	case <-time.After(15 * time.Second):
		t.Fatal("task did not write its lines")
	}

	var live []string
	from, pages := 1, 0
	for {
		c, lines := readLog(t, h, req, from)
		if c.IsEnd {
			t.Fatalf("page from %d: isEnd while the run is still going", from)
		}
		if len(lines) == 0 {
			if c.ToLineNum >= from {
				t.Fatalf("empty page from %d answered toLineNum %d, want below it", from, c.ToLineNum)
			}
			break
		}
		if c.FromLineNum != from || c.ToLineNum != from+len(lines)-1 || len(lines) > 700 {
			t.Fatalf("page from %d: got from %d to %d with %d lines", from, c.FromLineNum, c.ToLineNum, len(lines))
		}
		live = append(live, lines...)
		if pages++; pages > 100 {
			t.Fatal("log never ended")
		}
		from = c.ToLineNum + 1
	}
	// start line, shard line, 10,000 task lines; the end line is not written yet
	if len(live) != 10002 || pages < 15 {
		t.Fatalf("read %d live lines in %d pages, want 10002 in pages of at most 700", len(live), pages)
	}

	close(release)
	admin.awaitCallbacks(t, 4242)
	c, all := readLog(t, h, req, 1)
	if !c.IsEnd || c.FromLineNum != 1 || c.ToLineNum != len(all) {
		t.Fatalf("finished log from 1: isEnd %v, from %d to %d with %d lines", c.IsEnd, c.FromLineNum, c.ToLineNum, len(all))
	}
	if len(all) != 10003 {
		t.Fatalf("finished log read in one call has %d lines, want all 10003", len(all))
	}
	for i, line := range live {
		if all[i] != line {
			t.Fatalf("line %d differs between live and finished reads: %q / %q", i+1, line, all[i])
		}
	}
	traceID := "00000000000000000000000000001092" // 4242 in hex
	for i, line := range all {
		if !strings.Contains(line, "trace_id="+traceID) {
			t.Fatalf("line %d lacks the run's trace_id: %q", i+1, line)
		}
	}
	for n := 1; n <= 10000; n++ {
		if line := all[n+1]; !strings.Contains(line, "demo_task line") || !strings.Contains(line, " line="+itoa(n)+" ") && !strings.HasSuffix(line, " line="+itoa(n)) {
			t.Fatalf("line %d = %q, want demo line %d", n+2, line, n)
		}
	}
	if !strings.Contains(all[0], "execute start") || !strings.Contains(all[1], "shard 0/0") || !strings.Contains(all[10002], "execute end") {
		t.Errorf("frame lines wrong: %q / %q / %q", all[0], all[1], all[10002])
	}
	if c, tail := readLog(t, h, req, 10002); !c.IsEnd || len(tail) != 2 || c.ToLineNum != 10003 {
		t.Errorf("finished log from 10002: isEnd %v, to %d, %d lines; want the last 2", c.IsEnd, c.ToLineNum, len(tail))
	}
	day := time.UnixMilli(req.LogDateTime).Format("2006-01-02")
	if _, err := os.Stat(filepath.Join(h.dir, day, "4242.log")); err != nil {
		t.Errorf("run log not at xxl_log/yyyy-MM-dd/{logId}.log: %v", err)
	}

	missing := req
	missing.LogID = 999
	if c, _ := readLog(t, h, missing, 1); !c.IsEnd || c.LogContent != "readLog fail, logFile not exists" {
		t.Errorf("missing log answer = %+v", c)
	}
}

func TestRetentionRemovesOldRunLogDirs(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.Local)
	for _, d := range []string{"2026-03-01", "2026-03-02", "2026-03-03", "2026-03-10", "callbacklog", "notes"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	start(t, setup{logPath: dir, retain: 7, opts: xxljob.Options{Now: func() time.Time { return now }}})
	gone := func(d string) bool { _, err := os.Stat(filepath.Join(dir, d)); return os.IsNotExist(err) }
	eventually(t, 5*time.Second, "old dirs removed", func() bool { return gone("2026-03-01") && gone("2026-03-02") })
	for _, d := range []string{"2026-03-03", "2026-03-10", "callbacklog", "notes"} {
		if gone(d) {
			t.Errorf("%s was removed, want kept", d)
		}
	}
}

// TestTrailingDataRefused sends each endpoint a valid object followed by
// more: the request is refused as a whole, the answer does not echo what
// followed, and a refused /run leaves no trace (its log id stays fresh).
// White space after the object is fine: the admin ends bodies with none,
// other clients with a newline.
func TestTrailingDataRefused(t *testing.T) {
	admin := newFakeAdmin(t, testToken)
	h := start(t, setup{admins: admin.srv.URL})
	run := `{"jobId":1,"logId":71,"executorHandler":"demo_task","glueType":"BEAN"}`
	bodies := map[string]string{
		"/run":      run,
		"/kill":     `{"jobId":9}`, // another job: killing or asking it leaves the run alone
		"/idleBeat": `{"jobId":9}`,
		"/log":      `{"logDateTim":1700000000000,"logId":71,"fromLineNum":1}`,
	}
	for path, body := range bodies {
		for _, tail := range []string{`x-trailer`, `{"jobId":2}`, ` [1]`, "\n\"s3cret-trailer\"", `}`} {
			t.Run(path+"/"+tail, func(t *testing.T) {
				a := h.callRaw(t, path, body+tail)
				if a.Code != 500 || !strings.HasPrefix(a.Msg, "invalid request: ") {
					t.Errorf("answer %d %q, want 500 invalid request", a.Code, a.Msg)
				}
				if strings.Contains(a.Msg, "trailer") || strings.Contains(a.Msg, "jobId") {
					t.Errorf("answer %q echoes the body", a.Msg)
				}
			})
		}
	}
	if n := admin.count(71); n != 0 {
		t.Fatalf("a refused /run was called back %d times", n)
	}
	for path, body := range bodies {
		if a := h.callRaw(t, path, body+" \r\n\t"); a.Code != 200 {
			t.Errorf("%s with trailing white space answered %d %q, want 200", path, a.Code, a.Msg)
		}
	}
	assertCallback(t, admin.awaitCallbacks(t, 71)[71], 200, "demo_task ok")
}
