package logging_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"gomicro/app/config"
	"gomicro/app/config/configtest"
	"gomicro/app/logging"
)

func exists(t *testing.T, path string) bool {
	t.Helper()
	_, err := os.Stat(path)
	return err == nil
}

func TestDailyFileRollsAtMidnightOfItsZoneAndPrunes(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"svc-2026-03-03.log", "svc-2026-03-04.log", "svc-2026-03-10.log",
		"2026-01-01.log", "other-2026-01-01.log", "svc-notes.txt", "svc-2026-01-01.log.bak"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("old\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// 23:59:59 in Shanghai is 15:59:59 UTC: by the machine's UTC clock the
	// day would not change for another eight hours.
	clk := &clock{t: at("2026-03-10T15:59:59Z")}
	f, err := logging.NewDailyFile(dir, "svc", 7, clk.Now, shanghai(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	write := func(s string) {
		t.Helper()
		if _, err := f.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	write("before midnight\n")
	if exists(t, filepath.Join(dir, "svc-2026-03-03.log")) != true {
		t.Fatal("2026-03-03 is 7 days before 2026-03-10: within retention")
	}
	clk.Set(at("2026-03-10T16:00:01Z")) // 00:00:01 on the 11th in Shanghai
	write("after midnight\n")
	clk.Set(at("2026-03-10T23:30:00Z")) // still the 11th there, the 10th in UTC
	write("morning\n")

	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		return string(b)
	}
	if got := read("svc-2026-03-10.log"); got != "old\nbefore midnight\n" {
		t.Errorf("svc-2026-03-10.log = %q", got)
	}
	if got := read("svc-2026-03-11.log"); got != "after midnight\nmorning\n" {
		t.Errorf("svc-2026-03-11.log = %q", got)
	}
	if f.Name() != filepath.Join(dir, "svc-2026-03-11.log") {
		t.Errorf("Name() = %s", f.Name())
	}
	for name, wantKept := range map[string]bool{
		"svc-2026-03-03.log":     false, // 8 days before the 11th
		"svc-2026-03-04.log":     true,  // 7 days: within retention
		"svc-2026-03-10.log":     true,
		"2026-01-01.log":         true, // not this prefix
		"other-2026-01-01.log":   true,
		"svc-notes.txt":          true,
		"svc-2026-01-01.log.bak": true,
	} {
		if kept := exists(t, filepath.Join(dir, name)); kept != wantKept {
			t.Errorf("%s kept=%v, want %v", name, kept, wantKept)
		}
	}
}

func TestDailyFileRetentionZeroKeepsAll(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "2000-01-01.log")
	if err := os.WriteFile(old, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := logging.NewDailyFile(dir, "", 0, (&clock{t: at("2026-05-05T12:00:00Z")}).Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if filepath.Base(f.Name()) != "2026-05-05.log" || !exists(t, old) {
		t.Fatalf("name %s, old kept %v", f.Name(), exists(t, old))
	}
}

// The server and the job share log.dir: each writes its own file, and each
// line says which binary wrote it.
func TestServerAndJobWriteTheirOwnFiles(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{t: at("2026-07-01T17:30:00Z")} // 01:30 on the 2nd in Shanghai
	for _, bin := range []string{"server", "job"} {
		cfg := logConfig("prod", config.Log{Dir: dir})
		l := open(t, cfg, logging.Options{Bin: bin, Now: clk.Now})
		lg := l.Root(config.NewStore(cfg, config.Meta{}), "config_prod.yaml", "v1")
		lg.Info().Msg("hello from " + bin)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for _, bin := range []string{"server", "job"} {
		lines := readLines(t, filepath.Join(dir, bin+"-2026-07-02.log"))
		last := lines[len(lines)-1]
		if last["message"] != "hello from "+bin || last["bin"] != bin || last["app"] != "gomicro" {
			t.Errorf("%s file: last line %v", bin, last)
		}
		if last["time"] != "2026-07-02T01:30:00.000+08:00" {
			t.Errorf("%s line time %v, want app.timezone's", bin, last["time"])
		}
		for _, m := range lines {
			if m["bin"] != bin {
				t.Errorf("%s file holds %v", bin, m)
			}
		}
	}
	// log.file_prefix, when set, names the file instead of the binary.
	cfg := logConfig("prod", config.Log{Dir: dir, FilePrefix: "orders"})
	l := open(t, cfg, logging.Options{Bin: "server", Now: clk.Now})
	lg := l.Logger()
	lg.Info().Msg("prefixed")
	l.Sync()
	if lines := readLines(t, filepath.Join(dir, "orders-2026-07-02.log")); lines[0]["bin"] != "server" {
		t.Fatalf("prefixed file lines %v", lines)
	}
}

// A reload that changes app.timezone moves line times and the day of the
// file with it.
func TestTimezoneFollowsReload(t *testing.T) {
	dir := t.TempDir()
	yaml := "log:\n  dir: " + dir + "\n  format: json\napp:\n  timezone: %s\n"
	_, before := configtest.Load(t, fmt.Sprintf(yaml, "Asia/Shanghai"))
	_, after := configtest.Load(t, fmt.Sprintf(yaml, "America/New_York"))
	clk := &clock{t: at("2026-07-01T20:00:00Z")} // the 2nd in Shanghai, the 1st in New York
	l := open(t, before, logging.Options{Bin: "server", Now: clk.Now})
	store := config.NewStore(before, config.Meta{})
	lg := l.Root(store, "x.yaml", "v1")
	lg.Info().Msg("in shanghai")
	l.Sync() // a batch goes to the file of the day it is written in
	store.Apply(lg.WithContext(context.Background()), after, config.Meta{})
	lg.Info().Msg("in new york")
	l.Sync()

	sh := readLines(t, filepath.Join(dir, "server-2026-07-02.log"))
	ny := readLines(t, filepath.Join(dir, "server-2026-07-01.log"))
	if sh[len(sh)-1]["message"] != "in shanghai" || sh[len(sh)-1]["time"] != "2026-07-02T04:00:00.000+08:00" {
		t.Errorf("shanghai file ends %v", sh[len(sh)-1])
	}
	if ny[len(ny)-1]["message"] != "in new york" || ny[len(ny)-1]["time"] != "2026-07-01T16:00:00.000-04:00" {
		t.Errorf("new york file ends %v", ny[len(ny)-1])
	}
}
