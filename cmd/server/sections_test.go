package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// shippedWith writes config_test.yaml with extra appended and returns its path.
func shippedWith(t *testing.T, extra string) string {
	t.Helper()
	base, err := os.ReadFile("../../config_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config_test.yaml")
	if err := os.WriteFile(path, append(base, extra...), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestExitCodeTwoOnUnknownKey(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-config", shippedWith(t, "\ndatabases:\n  report:\n    driver: sqlite\n    prot: 1\n"))
	cmd.Env = append(os.Environ(), "GOMICRO_AS_SERVER=1", "APP_LOG_DIR="+t.TempDir())
	out, _ := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(string(out), "databases.report.prot: unknown key (did you mean databases.report.port?)") {
		t.Fatalf("exit %d, output %s", code, out)
	}
}

func TestUnknownSectionsListedOnceAtStart(t *testing.T) {
	environ := testEnviron(t)
	for i, kv := range environ {
		if strings.HasPrefix(kv, "APP_CONFIG=") {
			environ[i] = "APP_CONFIG=" + shippedWith(t, "\nkafka:\n  host: kafka.internal\nfeature_flags: {a: true}\n")
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	lines := watch(pr)
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, environ, pw, io.Discard); pw.Close() }()

	lines.wait(t, "listening", 5*time.Second)
	const msg = "config sections gomicro does not use (kept, not read)"
	line := lines.wait(t, msg, time.Second)
	if got, _ := line["sections"].([]any); len(got) != 2 || got[0] != "feature_flags" || got[1] != "kafka" {
		t.Errorf("sections = %v, want [feature_flags kafka]", line["sections"])
	}
	if n := lines.count(func(l map[string]any) bool { return l["message"] == msg }); n != 1 {
		t.Errorf("%d lines list the sections, want 1", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run returned %v", err)
	}
}
