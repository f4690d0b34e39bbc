package logging_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"

	"gomicro/app/config"
	"gomicro/app/logging"
	"gomicro/app/logging/logtest"
	"gomicro/app/trace"
)

// consoleLogging logs console lines (env test's default) to the returned
// buffer at 09:02:03.004 Shanghai time.
func consoleLogging(t *testing.T, level string) (*logging.Logging, *logtest.Buffer) {
	t.Helper()
	var out logtest.Buffer
	clk := &clock{t: at("2026-07-01T01:02:03.004Z")}
	l := open(t, logConfig("test", config.Log{Level: level}), logging.Options{Bin: "server", Stdout: &out, Now: clk.Now})
	return l, &out
}

func TestConsoleLine(t *testing.T) {
	l, out := consoleLogging(t, "debug")
	lg := l.Logger()
	ctx := trace.WithLogger(context.Background(), &lg, "4bf92f3577b34da6a3ce929d0e0e4736")
	zerolog.Ctx(ctx).Info().Str("method", "GET").Int("status", 200).Float64("latency_ms", 0.25).Bool("ok", true).
		Str("note", "two words").Str("quote", `say "hi"`).Str("empty", "").Str("path", `C:\tmp`).
		Interface("obj", map[string]any{"a": []int{1, 2}, "b": "x y"}).Err(errors.New("boom")).Msg("access")
	lg.Warn().Msg("line one\nline two")
	lg.Debug().Str("city", "上海").Msg("")
	lg.Error().Msg("no fields")
	zerolog.Ctx(ctx).WithLevel(zerolog.NoLevel).Msg("no level")
	l.Sync()

	want := []string{
		`2026-07-01 09:02:03.004 INF access bin=server method=GET status=200 latency_ms=0.25 ok=true note="two words" quote="say \"hi\"" empty="" path="C:\\tmp" obj={"a":[1,2],"b":"x y"} error=boom trace_id=4bf92f3577b34da6a3ce929d0e0e4736`,
		`2026-07-01 09:02:03.004 WRN line one\nline two bin=server`,
		`2026-07-01 09:02:03.004 DBG bin=server city=上海`,
		`2026-07-01 09:02:03.004 ERR no fields bin=server`,
		`2026-07-01 09:02:03.004 ??? no level bin=server trace_id=4bf92f3577b34da6a3ce929d0e0e4736`,
	}
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(got), len(want), out.String())
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
	if strings.Contains(out.String(), "\x1b[") {
		t.Error("colour codes written to a buffer")
	}
}

func TestConsoleIsTheDefaultInTestOnly(t *testing.T) {
	for _, tt := range []struct{ env, format, wantStart string }{
		{"test", "", "2026-07-01 09:02:03.004 INF human"},
		{"test", "json", `{"level":"info"`},
		{"prod", "", `{"level":"info"`},
		{"prod", "console", "2026-07-01 09:02:03.004 INF human"},
	} {
		var out logtest.Buffer
		clk := &clock{t: at("2026-07-01T01:02:03.004Z")}
		l := open(t, logConfig(tt.env, config.Log{Format: tt.format}), logging.Options{Stdout: &out, Now: clk.Now})
		lg := l.Logger()
		for i := range 5 { // one batch: each line must still show
			lg.Info().Int("n", i).Msg("human")
		}
		l.Sync()
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if len(lines) != 5 {
			t.Fatalf("%s/%q: %d lines: %q", tt.env, tt.format, len(lines), out.String())
		}
		for _, line := range lines {
			if !strings.HasPrefix(line, tt.wantStart) {
				t.Errorf("%s/%q: line %q, want it to start %q", tt.env, tt.format, line, tt.wantStart)
			}
		}
	}
}

// openPTY returns both ends of a new pseudo-terminal: what the logger
// writes to the terminal can be read from the first.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); m.Close() })
	return m, s
}

func TestConsoleColourOnlyOnATerminal(t *testing.T) {
	for _, tt := range []struct {
		name    string
		environ []string
		want    bool
	}{
		{"terminal", nil, true},
		{"terminal, NO_COLOR=1", []string{"NO_COLOR=1"}, false},
		{"terminal, NO_COLOR empty", []string{"NO_COLOR="}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			master, tty := openPTY(t)
			l := open(t, logConfig("test", config.Log{}), logging.Options{Stdout: tty, Environ: tt.environ})
			lg := l.Logger()
			lg.Error().Str("k", "v").Msg("on a terminal")
			l.Sync()
			line, err := bufio.NewReader(master).ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(line, "\x1b["); got != tt.want {
				t.Fatalf("colour %v, want %v: %q", got, tt.want, line)
			}
			if !strings.Contains(line, "on a terminal") {
				t.Fatalf("line %q", line)
			}
		})
	}
	// A file is not a terminal, whatever NO_COLOR says.
	f, err := os.Create(t.TempDir() + "/stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l := open(t, logConfig("test", config.Log{}), logging.Options{Stdout: f})
	lg := l.Logger()
	lg.Error().Msg("to a file")
	l.Sync()
	b, _ := os.ReadFile(f.Name())
	if strings.Contains(string(b), "\x1b[") || !strings.Contains(string(b), "ERR to a file") {
		t.Fatalf("file got %q", b)
	}
}

// FuzzConsoleLine logs any key, value and message as console lines: each
// event stays one line, starts with time and level, and shows its message.
func FuzzConsoleLine(f *testing.F) {
	f.Add("k", "v", "msg")
	f.Add("a b", `x"y\z`, "line\nbreak")
	f.Add(`"}`, `{"x":[`, "")
	f.Add("trace_id", "\x00\xff", "\u2028")
	f.Fuzz(func(t *testing.T, key, val, msg string) {
		var out logtest.Buffer
		clk := &clock{t: at("2026-07-01T01:02:03.004Z")}
		l, err := logging.New(logConfig("test", config.Log{}), logging.Options{Stdout: &out, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		lg := l.Logger()
		lg.Info().Str(key, val).Interface("any", map[string]string{key: val}).Msg(msg)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		s := out.String()
		if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
			t.Fatalf("not one line: %q", s)
		}
		if !strings.HasPrefix(s, "2026-07-01 09:02:03.004 INF") {
			t.Fatalf("line %q", s)
		}
	})
}
