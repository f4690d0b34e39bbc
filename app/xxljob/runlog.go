package xxljob

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"
	xxl "github.com/xxl-job/xxl-job-executor-go"
)

const (
	dayLayout    = "2006-01-02"
	msgNoLogFile = "readLog fail, logFile not exists"
)

// runLogs owns the per-run log files: <log_path>/yyyy-MM-dd/<logId>.log,
// dated by the trigger time as the Java executor does, and serves them to
// the admin UI.
type runLogs struct {
	dir  string
	loc  *time.Location
	now  func() time.Time
	page int

	mu     sync.Mutex
	active map[int64]struct{} // runs whose file is still being written
}

func newRunLogs(dir string, loc *time.Location, now func() time.Time, page int) *runLogs {
	return &runLogs{dir: dir, loc: loc, now: now, page: page, active: map[int64]struct{}{}}
}

func (l *runLogs) path(logDateTime, logID int64) string {
	t := l.now()
	if logDateTime > 0 {
		t = time.UnixMilli(logDateTime)
	}
	return filepath.Join(l.dir, t.In(l.loc).Format(dayLayout), strconv.FormatInt(logID, 10)+".log")
}

// runLog is one run's open log file.
type runLog struct {
	logs *runLogs
	id   int64
	f    *os.File
}

// open creates the run's log file. The run goes on without it when the disk
// refuses; the caller then logs to the service log.
func (l *runLogs) open(req *xxl.RunReq, traceID string) (*runLog, error) {
	p := l.path(req.LogDateTime, req.LogID)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, fmt.Errorf("create run log dir: %w", err)
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open run log: %w", err)
	}
	l.mu.Lock()
	l.active[req.LogID] = struct{}{}
	l.mu.Unlock()
	return &runLog{logs: l, id: req.LogID, f: f}, nil
}

// logger returns the run's logger: plain text lines in its file (what the
// admin UI shows), each carrying the run's trace_id and log_id.
func (r *runLog) logger(fallback *zerolog.Logger, traceID string) zerolog.Logger {
	if r == nil {
		return fallback.With().Str("trace_id", traceID).Logger()
	}
	w := zerolog.ConsoleWriter{Out: r.f, NoColor: true, TimeFormat: "2006-01-02 15:04:05.000"}
	return zerolog.New(zerolog.SyncWriter(w)).With().Timestamp().
		Str("trace_id", traceID).Int64("log_id", r.id).Logger()
}

func (r *runLog) close() {
	if r == nil {
		return
	}
	_ = r.f.Close()
	r.logs.mu.Lock()
	delete(r.logs.active, r.id)
	r.logs.mu.Unlock()
}

// read answers /log: lines from FromLineNum (1-based) on, at most one page
// (LogPageLines lines, 1 MiB of text) per answer, read from the file as a
// stream, so no answer and no reader holds more than a page whatever the
// log's size. The admin UI asks again from ToLineNum+1 while it polls a
// run that had no result when the page was opened; for one that had, it
// asks once and shows the first page (see README for reading the rest).
// ToLineNum is the last line sent; when there is nothing new it is the line
// count, below FromLineNum, which the admin takes as "ask again later".
// IsEnd is set once the run has finished and the answer holds its last
// line (or there is nothing after FromLineNum). It has the library's
// LogHandler signature.
func (l *runLogs) read(req *xxl.LogReq) *xxl.LogRes {
	from := max(req.FromLineNum, 1)
	f, err := os.Open(l.path(req.LogDateTim, req.LogID))
	if err != nil {
		return &xxl.LogRes{Code: codeOK, Content: xxl.LogResContent{
			FromLineNum: from, LogContent: msgNoLogFile, IsEnd: true,
		}}
	}
	defer f.Close()
	l.mu.Lock()
	_, active := l.active[req.LogID]
	l.mu.Unlock()

	p, err := readPage(f, from, l.page, maxPageBytes, active)
	if err != nil {
		return &xxl.LogRes{Code: codeFail, Msg: "read run log: " + err.Error()}
	}
	to := p.to
	if to == 0 {
		to = p.lines
	}
	return &xxl.LogRes{Code: codeOK, Content: xxl.LogResContent{
		FromLineNum: from, ToLineNum: to, LogContent: string(p.text), IsEnd: p.end && !active,
	}}
}
