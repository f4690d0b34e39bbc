package xxljob_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	xxl "github.com/xxl-job/xxl-job-executor-go"

	"gomicro/app/demo"
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

// pageThrough reads a finished run's log from line 1 as a client does,
// asking again from toLineNum+1 while isEnd is false. It checks every
// answer: at most pageLines lines and 1 MiB of text (and not much more on
// the wire), fromLineNum as asked, toLineNum its last line, isEnd on the
// last page only. It returns the text of all pages and their number.
func pageThrough(t testing.TB, h *harness, req xxl.RunReq, pageLines int) (string, int) {
	t.Helper()
	var all strings.Builder
	from := 1
	for pages := 1; ; pages++ {
		body, err := json.Marshal(xxl.LogReq{LogDateTim: req.LogDateTime, LogID: req.LogID, FromLineNum: from})
		if err != nil {
			t.Fatal(err)
		}
		hreq, _ := http.NewRequest(http.MethodPost, h.url+"/log", bytes.NewReader(body))
		hreq.Header.Set("XXL-JOB-ACCESS-TOKEN", testToken)
		resp, err := http.DefaultClient.Do(hreq)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) > 1<<20+4<<10 {
			t.Fatalf("page from %d: answer of %d bytes", from, len(raw))
		}
		var a struct {
			Code    int64             `json:"code"`
			Content xxl.LogResContent `json:"content"`
		}
		if err := json.Unmarshal(raw, &a); err != nil || a.Code != 200 {
			t.Fatalf("page from %d: answer %.200s: %v", from, raw, err)
		}
		c := a.Content
		lines := strings.Count(c.LogContent, "\n")
		if c.LogContent != "" && !strings.HasSuffix(c.LogContent, "\n") {
			lines++
		}
		switch {
		case c.FromLineNum != from:
			t.Fatalf("page from %d: fromLineNum %d", from, c.FromLineNum)
		case lines == 0:
			t.Fatalf("page from %d: empty (toLineNum %d, isEnd %v) before the end", from, c.ToLineNum, c.IsEnd)
		case lines > pageLines || len(c.LogContent) > 1<<20:
			t.Fatalf("page from %d: %d lines, %d bytes", from, lines, len(c.LogContent))
		case c.ToLineNum != from+lines-1:
			t.Fatalf("page from %d: toLineNum %d with %d lines", from, c.ToLineNum, lines)
		}
		all.WriteString(c.LogContent)
		if c.IsEnd {
			return all.String(), pages
		}
		if pages > 10000 {
			t.Fatal("log never ended")
		}
		from = c.ToLineNum + 1
	}
}

// TestLogPagesThroughTenThousandLines pages through a live run's log as the
// admin UI polls it, then through the finished log, page by page as well.
func TestLogPagesThroughTenThousandLines(t *testing.T) {
	admin := newFakeAdmin(t, testToken)
	wrote, release := make(chan struct{}), make(chan struct{})
	held := func(ctx context.Context, req *xxl.RunReq) (string, error) {
		msg, err := demo.Task(ctx, req)
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
	text, pages := pageThrough(t, h, req, 700)
	all := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(all) != 10003 || pages != 15 {
		t.Fatalf("finished log read in %d pages with %d lines, want all 10003 in 15 pages of 700", pages, len(all))
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

// TestFinishedLogPagedAndBounded serves a finished run's 4 MB log: short
// lines fill pages up to the line cap, long ones up to the 1 MiB cap, and
// the pages put together are the file byte for byte (CRLF, multi-byte
// characters, a last line without '\n'). A line longer than a page comes
// cut, as one line, so the lines after it keep their numbers.
func TestFinishedLogPagedAndBounded(t *testing.T) {
	h := start(t, setup{})
	write := func(logID int64, content string) xxl.RunReq {
		req := runReq(1, logID, "demo_task", "", "")
		day := time.UnixMilli(req.LogDateTime).Format("2006-01-02")
		if err := os.MkdirAll(filepath.Join(h.dir, day), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(h.dir, day, itoa(int(logID))+".log"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return req
	}

	var b strings.Builder
	for i := 1; i <= 3000; i++ {
		fmt.Fprintf(&b, "short line %d é\n", i)
	}
	for i := 1; i <= 2000; i++ {
		fmt.Fprintf(&b, "long line %d %s\r\n", i, strings.Repeat("x", 1000+i%2000))
	}
	b.WriteString("last line, no newline")
	file := b.String()
	text, pages := pageThrough(t, h, write(5001, file), 1000)
	if text != file {
		t.Fatalf("pages reassemble %d bytes, file has %d", len(text), len(file))
	}
	// 3,000 short lines fill 3 pages by lines, 4 MB of long ones 4 by bytes
	if pages != 7 {
		t.Errorf("%d pages, want 3 capped by lines and 4 by bytes", pages)
	}

	huge := "before\n" + strings.Repeat("y", 3<<20) + "\nafter\n"
	req := write(5002, huge)
	c, lines := readLog(t, h, req, 1)
	if c.ToLineNum != 1 || len(lines) != 1 || lines[0] != "before" || c.IsEnd {
		t.Fatalf("page 1: to %d, %d lines, isEnd %v; want only the line before the long one", c.ToLineNum, len(lines), c.IsEnd)
	}
	c, lines = readLog(t, h, req, 2)
	if c.ToLineNum != 2 || len(lines) != 1 || len(c.LogContent) > 1<<20 || c.IsEnd ||
		!strings.HasSuffix(c.LogContent, " [line cut: over 1048576 bytes]\n") {
		t.Fatalf("page 2: to %d, %d lines of %d bytes, isEnd %v; want the long line cut to 1 MiB", c.ToLineNum, len(lines), len(c.LogContent), c.IsEnd)
	}
	c, lines = readLog(t, h, req, 3)
	if c.ToLineNum != 3 || len(lines) != 1 || lines[0] != "after" || !c.IsEnd {
		t.Fatalf("page 3: to %d, %v, isEnd %v; want line 3 and the end", c.ToLineNum, lines, c.IsEnd)
	}
	if c, _ := readLog(t, h, req, 4); c.LogContent != "" || c.ToLineNum != 3 || !c.IsEnd {
		t.Errorf("past the end: %+v, want nothing, toLineNum 3, isEnd", c)
	}
}
