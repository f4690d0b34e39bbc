package logging_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gomicro/app/config"
	"gomicro/app/logging"
)

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

func day(s string, hour int) time.Time {
	t, err := time.ParseInLocation("2006-01-02", s, time.Local)
	if err != nil {
		panic(err)
	}
	return t.Add(time.Duration(hour) * time.Hour)
}

func TestDailyFileRollsAtMidnightAndPrunes(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"2026-01-01.log", "2026-03-01.log", "2026-03-09.log", "notes.txt", "2026-01-01.log.bak"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("old\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	clk := &clock{t: day("2026-03-10", 23)}
	f, err := logging.NewDailyFile(dir, "", 7, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write([]byte("before midnight\n")); err != nil {
		t.Fatal(err)
	}
	clk.Set(day("2026-03-11", 0).Add(time.Second))
	if _, err := f.Write([]byte("after midnight\n")); err != nil {
		t.Fatal(err)
	}

	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		return string(b)
	}
	if got := read("2026-03-10.log"); got != "before midnight\n" {
		t.Errorf("2026-03-10.log = %q", got)
	}
	if got := read("2026-03-11.log"); got != "after midnight\n" {
		t.Errorf("2026-03-11.log = %q", got)
	}
	if f.Name() != filepath.Join(dir, "2026-03-11.log") {
		t.Errorf("Name() = %s", f.Name())
	}
	for name, wantKept := range map[string]bool{
		"2026-01-01.log":     false, // far older than 7 days
		"2026-03-01.log":     false, // 10 days before the 11th
		"2026-03-09.log":     true,  // within retention
		"notes.txt":          true,  // not ours
		"2026-01-01.log.bak": true,  // not ours
	} {
		_, err := os.Stat(filepath.Join(dir, name))
		if kept := err == nil; kept != wantKept {
			t.Errorf("%s kept=%v, want %v", name, kept, wantKept)
		}
	}
}

func TestDailyFilePrefix(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{t: day("2026-05-05", 12)}
	if err := os.WriteFile(filepath.Join(dir, "other-2000-01-01.log"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "svc-2000-01-01.log"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := logging.NewDailyFile(dir, "svc", 30, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if filepath.Base(f.Name()) != "svc-2026-05-05.log" {
		t.Fatalf("name %s", f.Name())
	}
	if _, err := os.Stat(filepath.Join(dir, "svc-2000-01-01.log")); !os.IsNotExist(err) {
		t.Error("old prefixed file kept")
	}
	if _, err := os.Stat(filepath.Join(dir, "other-2000-01-01.log")); err != nil {
		t.Error("another app's file removed")
	}
}

func newLogging(t *testing.T, format, env string, stdout *bytes.Buffer) (*logging.Logging, string) {
	t.Helper()
	dir := t.TempDir()
	clk := &clock{t: day("2026-07-01", 9)}
	l, err := logging.New(config.Log{Level: "info", Format: format, Dir: dir, RetentionDays: 60, BufferSize: 1024},
		logging.Options{Env: env, Stdout: stdout, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return l, filepath.Join(dir, "2026-07-01.log")
}

func TestFileGetsJSONLinesAndLevelChangesLive(t *testing.T) {
	var stdout bytes.Buffer
	l, file := newLogging(t, "", "prod", &stdout)
	log := l.Logger()
	log.Debug().Msg("hidden debug")
	log.Info().Str("trace_id", "abc").Msg("first")
	if err := l.SetLevel("debug"); err != nil {
		t.Fatal(err)
	}
	log.Debug().Msg("shown debug") // logger made before the change still follows it
	if err := l.SetLevel("nonsense"); err == nil {
		t.Fatal("bad level accepted")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		msgs = append(msgs, m["message"].(string))
		if m["message"] == "first" && m["trace_id"] != "abc" {
			t.Errorf("trace_id lost: %v", m)
		}
	}
	if strings.Join(msgs, ",") != "first,shown debug" {
		t.Fatalf("messages %v", msgs)
	}
	if !strings.HasPrefix(stdout.String(), "{") {
		t.Fatalf("prod stdout should be JSON: %q", stdout.String())
	}
}

func TestConsoleOnStdoutInTest(t *testing.T) {
	var stdout bytes.Buffer
	l, _ := newLogging(t, "", "test", &stdout)
	lg := l.Logger()
	for i := range 5 { // written as one batch: each line must still show
		lg.Info().Int("n", i).Msg("human")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	out := stdout.String()
	if strings.HasPrefix(out, "{") || strings.Count(out, "human") != 5 || strings.Count(out, "\n") != 5 {
		t.Fatalf("test stdout should be 5 console lines: %q", out)
	}
}

func TestFullBufferDropsInsteadOfBlocking(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{t: day("2026-07-01", 9)}
	// A writer that blocks until released stands for a stalled disk.
	release := make(chan struct{})
	stalled := &blockingWriter{release: release}
	l, err := logging.New(config.Log{Level: "info", Dir: dir, BufferSize: 16},
		logging.Options{Env: "prod", Stdout: stalled, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	lg := l.Logger()
	for i := range 10000 { // far more than 16 lines of buffer
		lg.Info().Int("i", i).Msg("burst")
	}
	if l.Drops.Load() == 0 {
		t.Fatal("no line dropped although the writer is stalled")
	}
	close(release)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

type blockingWriter struct{ release chan struct{} }

func (w *blockingWriter) Write(p []byte) (int, error) {
	<-w.release
	return len(p), nil
}
