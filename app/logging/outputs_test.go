package logging_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"gomicro/app/config"
	"gomicro/app/logging"
	"gomicro/app/logging/logtest"
)

// fullDisk makes the file for day a disk that is always full: writes to
// /dev/full fail with ENOSPC.
func fullDisk(t *testing.T, dir, name string) {
	t.Helper()
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full here")
	}
	if err := os.Symlink("/dev/full", filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

func TestFileWriteErrorsCountedAndReportedOncePerOutage(t *testing.T) {
	dir := t.TempDir()
	fullDisk(t, dir, "server-2026-07-01.log")
	fullDisk(t, dir, "server-2026-07-03.log")
	var stdout, stderr logtest.Buffer
	clk := &clock{t: at("2026-07-01T04:00:00Z")}
	cfg := logConfig("prod", config.Log{Dir: dir})
	l := open(t, cfg, logging.Options{Bin: "server", Stdout: &stdout, Stderr: &stderr, Now: clk.Now})
	lg := l.Root(config.NewStore(cfg, config.Meta{}), "config_prod.yaml", "v1")
	failing := func() []map[string]any {
		return stderr.Messages(t, "log output failing: lines are lost until it recovers (counted in log_write_errors_total)")
	}

	l.Sync() // the config line: the first lost one
	if n := l.WriteErrors.Load(); n != 1 {
		t.Fatalf("WriteErrors = %d after one line to a full disk", n)
	}
	reports := failing()
	if len(reports) != 1 {
		t.Fatalf("reports %v", stderr.String())
	}
	r := reports[0]
	if r["output"] != "file" || r["path"] != filepath.Join(dir, "server-2026-07-01.log") || !strings.Contains(r["error"].(string), "no space") ||
		r["level"] != "error" || r["bin"] != "server" || r["app"] != "gomicro" {
		t.Fatalf("report %v", r)
	}
	for range 3 {
		for range 10 {
			lg.Info().Msg("lost")
		}
		l.Sync()
	}
	if n := l.WriteErrors.Load(); n != 31 {
		t.Fatalf("WriteErrors = %d, want 31", n)
	}
	if len(failing()) != 1 {
		t.Fatalf("the outage was reported again: %s", stderr.String())
	}
	if got := len(stdout.Messages(t, "lost")); got != 30 {
		t.Fatalf("stdout got %d of the lines the file lost", got)
	}

	clk.Set(at("2026-07-01T17:00:00Z")) // the 2nd: a good file
	lg.Info().Msg("kept")
	l.Sync()
	rec := stderr.Messages(t, "log output recovered")
	if len(rec) != 1 || rec[0]["lost_lines"] != float64(31) || rec[0]["path"] != filepath.Join(dir, "server-2026-07-02.log") {
		t.Fatalf("recovery %v", stderr.String())
	}
	if lines := readLines(t, filepath.Join(dir, "server-2026-07-02.log")); lines[0]["message"] != "kept" {
		t.Fatalf("recovered file %v", lines)
	}

	clk.Set(at("2026-07-02T17:00:00Z")) // the 3rd: full again, a new outage
	lg.Info().Msg("lost again")
	l.Sync()
	if len(failing()) != 2 || l.WriteErrors.Load() != 32 {
		t.Fatalf("second outage: WriteErrors %d, stderr %s", l.WriteErrors.Load(), stderr.String())
	}
	if strings.Contains(stdout.String(), "log output") {
		t.Fatal("reports went to stdout although stderr was given")
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(l.Collector())
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		got[f.GetName()] = f.GetMetric()[0].GetCounter().GetValue()
	}
	if got["log_write_errors_total"] != 32 || got["log_lines_dropped_total"] != 0 {
		t.Fatalf("metrics %v", got)
	}
}

// A failing stdout is reported to stderr; with no stderr the report would
// have to go through the failing stream itself, so it is only counted.
func TestStdoutWriteErrors(t *testing.T) {
	for _, withStderr := range []bool{true, false} {
		var stderr logtest.Buffer
		opts := logging.Options{Stdout: failingWriter{}}
		if withStderr {
			opts.Stderr = &stderr
		}
		l := open(t, logConfig("prod", config.Log{}), opts)
		lg := l.Logger()
		lg.Info().Msg("one")
		lg.Info().Msg("two")
		l.Sync()
		if n := l.WriteErrors.Load(); n != 2 {
			t.Fatalf("stderr %v: WriteErrors = %d", withStderr, n)
		}
		reports := stderr.Messages(t, "log output failing: lines are lost until it recovers (counted in log_write_errors_total)")
		if withStderr && (len(reports) != 1 || reports[0]["output"] != "stdout") {
			t.Fatalf("stderr %q", stderr.String())
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }
