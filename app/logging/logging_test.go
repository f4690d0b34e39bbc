package logging_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gomicro/app/config"
	"gomicro/app/logging"
	"gomicro/app/logging/logtest"
)

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func shanghai(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// logConfig is a config with the given log section, zone Asia/Shanghai.
func logConfig(env string, log config.Log) *config.Config {
	cfg := &config.Config{Env: env, Log: log}
	cfg.App.Name = "gomicro"
	cfg.App.Timezone = "Asia/Shanghai"
	if cfg.Log.Level == "" {
		cfg.Log.Level = "info"
	}
	if cfg.Log.BufferSize == 0 {
		cfg.Log.BufferSize = 1024
	}
	return cfg
}

// open builds a Logging closed at the end of the test.
func open(t *testing.T, cfg *config.Config, opts logging.Options) *logging.Logging {
	t.Helper()
	l, err := logging.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func readLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line in %s: %q", path, line)
		}
		out = append(out, m)
	}
	return out
}

func TestFileGetsJSONLinesAndLevelChangesLive(t *testing.T) {
	var stdout logtest.Buffer
	dir := t.TempDir()
	clk := &clock{t: at("2026-07-01T01:00:00Z")}
	l := open(t, logConfig("prod", config.Log{Dir: dir}), logging.Options{Bin: "server", Stdout: &stdout, Now: clk.Now})
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

	var msgs []string
	for _, m := range readLines(t, filepath.Join(dir, "server-2026-07-01.log")) {
		msgs = append(msgs, m["message"].(string))
		if m["message"] == "first" && (m["trace_id"] != "abc" || m["bin"] != "server") {
			t.Errorf("fields lost: %v", m)
		}
	}
	if strings.Join(msgs, ",") != "first,shown debug" {
		t.Fatalf("messages %v", msgs)
	}
	if !strings.HasPrefix(stdout.String(), "{") {
		t.Fatalf("prod stdout should be JSON: %q", stdout.String())
	}
}

func TestFullBufferDropsInsteadOfBlocking(t *testing.T) {
	// A writer that blocks until released stands for a stalled disk.
	release := make(chan struct{})
	stalled := &blockingWriter{release: release}
	l, err := logging.New(logConfig("prod", config.Log{BufferSize: 16}), logging.Options{Stdout: stalled})
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

func TestLineTimesInTheLoggingZone(t *testing.T) {
	var stdout logtest.Buffer
	clk := &clock{}
	l := open(t, logConfig("prod", config.Log{}), logging.Options{Stdout: &stdout, Now: clk.Now})
	lg := l.Logger()
	for _, ts := range []string{"2026-12-31T15:59:59.999Z", "2026-12-31T16:00:00Z", "2026-12-31T16:00:00.05Z", "2026-12-31T16:00:01.5Z"} {
		clk.Set(at(ts))
		lg.Info().Msg(ts)
	}
	if err := l.SetTimezone("Mars/Olympus"); err == nil {
		t.Fatal("unknown zone accepted")
	}
	if err := l.SetTimezone("UTC"); err != nil {
		t.Fatal(err)
	}
	lg.Info().Msg("utc")
	l.Sync()
	want := []string{"2026-12-31T23:59:59.999+08:00", "2027-01-01T00:00:00.000+08:00", "2027-01-01T00:00:00.050+08:00",
		"2027-01-01T00:00:01.500+08:00", "2026-12-31T16:00:01.500Z"}
	lines := stdout.Lines(t)
	if len(lines) != len(want) {
		t.Fatalf("lines %v", lines)
	}
	for i, m := range lines {
		if m["time"] != want[i] {
			t.Errorf("line %d time %v, want %s", i, m["time"], want[i])
		}
	}
}
