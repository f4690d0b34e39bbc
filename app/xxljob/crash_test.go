package xxljob_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
	xxl "github.com/xxl-job/xxl-job-executor-go"

	"gomicro/app/config"
	"gomicro/app/demo"
	"gomicro/app/xxljob"
)

// TestMain lets a test run this binary as an executor process of its own
// (GOMICRO_AS_EXECUTOR=1), which it can kill.
func TestMain(m *testing.M) {
	if os.Getenv("GOMICRO_AS_EXECUTOR") == "1" {
		if err := executorProcess(); err != nil {
			fmt.Fprintln(os.Stderr, "executor:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// executorProcess serves an executor on a free loopback port, as cmd/job
// wires it, for the admin in GOMICRO_ADMIN with its log path in
// GOMICRO_LOG_PATH; it prints "listening ADDR" and stops on SIGTERM. Its
// "block" task logs a line and waits until it is cancelled.
func executorProcess() error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	cfg := config.XxlJob{URL: os.Getenv("GOMICRO_ADMIN"), AppName: "gomicro-job-test", AccessToken: testToken,
		Host: "127.0.0.1", MaxConnections: 16, LogPath: os.Getenv("GOMICRO_LOG_PATH")}
	ln, err := xxljob.Listen(cfg)
	if err != nil {
		return err
	}
	cfg.Address = ln.Addr().String()
	ex, err := xxljob.New(cfg, xxljob.Options{Beat: time.Hour, Retry: 20 * time.Millisecond})
	if err != nil {
		return err
	}
	err = errors.Join(ex.Register("demo_task", demo.Task),
		ex.Register("block", func(ctx context.Context, _ *xxl.RunReq) (string, error) {
			zerolog.Ctx(ctx).Info().Msg("blocking until cancelled")
			<-ctx.Done()
			return "", context.Cause(ctx)
		}))
	if err != nil {
		return err
	}
	srv := ex.Server()
	go func() { _ = srv.Serve(ln) }()
	logger := zerolog.New(os.Stderr).Level(zerolog.WarnLevel)
	if err := ex.Start(logger.WithContext(ctx)); err != nil {
		return err
	}
	fmt.Println("listening", ln.Addr())
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return errors.Join(ex.Stop(sctx), srv.Shutdown(sctx))
}

// process is an executor process started by a test.
type process struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	*harness
}

// startProcess runs this test binary as an executor for admin on logPath
// and waits until it listens.
func startProcess(t *testing.T, admin *fakeAdmin, logPath string) *process {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GOMICRO_AS_EXECUTOR=1", "GOMICRO_ADMIN="+admin.srv.URL, "GOMICRO_LOG_PATH="+logPath)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("executor process stderr:\n%s", p.stderr)
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		t.Fatalf("executor process did not start: %q %v", line, err)
	}
	p.harness = &harness{url: "http://" + addr, dir: logPath}
	return p
}

// TestCrashReportsRunsInFlight kills an executor process with SIGKILL while
// a run it accepted is going, and starts a new one on the same log path:
// the admin gets that run's failure (500, "executor restarted while the job
// ran") through the normal callback path, the result of a run that had
// finished but was still on the spool is delivered as it was, and the new
// process refuses every log id the old one had accepted.
func TestCrashReportsRunsInFlight(t *testing.T) {
	admin := newFakeAdmin(t, testToken)
	dir := t.TempDir()
	first := startProcess(t, admin, dir)

	first.mustTrigger(t, runReq(1, 601, "demo_task", "", "")) // finished and delivered
	admin.awaitCallbacks(t, 601)
	admin.setDown(true)
	first.mustTrigger(t, runReq(2, 602, "demo_task", "", "")) // finished, result on the spool
	eventually(t, 10*time.Second, "result of 602 spooled", func() bool {
		return spoolFiles(t, dir) == 1 && admin.attemptsOf("/api/callback") >= 1
	})
	running := runReq(3, 603, "block", "", "")
	first.mustTrigger(t, running) // accepted: on disk before this answer
	logFile := filepath.Join(dir, time.UnixMilli(running.LogDateTime).Format("2006-01-02"), "603.log")
	eventually(t, 10*time.Second, "run 603 going", func() bool {
		b, _ := os.ReadFile(logFile)
		return bytes.Contains(b, []byte("blocking until cancelled"))
	})
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := first.cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("first executor ended with %v, want killed", err)
	}

	admin.setDown(false)
	second := startProcess(t, admin, dir)
	cbs := admin.awaitCallbacks(t, 602, 603)
	assertCallback(t, cbs[603], 500, "executor restarted while the job ran")
	if cbs[603].LogDateTim != running.LogDateTime {
		t.Errorf("callback of 603: logDateTim %d, want the trigger's %d", cbs[603].LogDateTim, running.LogDateTime)
	}
	assertCallback(t, cbs[602], 200, "demo_task ok")
	for _, id := range []int64{601, 602, 603} {
		if a := second.trigger(t, runReq(9, id, "demo_task", "", "")); a.Code != 500 || a.Msg != fmt.Sprintf("repeate trigger job, logId:%d", id) {
			t.Errorf("log %d triggered again after the restart: %d %q, want refused as a repeat", id, a.Code, a.Msg)
		}
	}
	second.mustTrigger(t, runReq(9, 604, "demo_task", "", ""))
	admin.awaitCallbacks(t, 604)

	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := second.cmd.Wait(); err != nil {
		t.Fatalf("second executor after SIGTERM: %v", err)
	}
	for _, id := range []int64{601, 602, 603, 604} {
		if n := admin.count(id); n != 1 {
			t.Errorf("log %d called back %d times, want once", id, n)
		}
	}
}
