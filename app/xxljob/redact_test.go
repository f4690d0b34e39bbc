package xxljob_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	xxl "github.com/xxl-job/xxl-job-executor-go"

	"gomicro/app/config"
	"gomicro/app/config/configtest"
	"gomicro/app/logging/logtest"
	"gomicro/app/xxljob"
)

// refusedPort is a loopback port nothing listens on.
func refusedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	return port
}

// An admin URL with user:password@ shows the password nowhere: not in the
// masked config, the start line, a registry or callback error (from an
// admin on a refused port, and from one refusing the token), nor the
// registryRemove error at stop.
func TestAdminURLPasswordNeverLogged(t *testing.T) {
	admin := newFakeAdmin(t, "not-our-token")
	refused := "http://u:secret@127.0.0.1:" + strconv.Itoa(refusedPort(t)) + "/xxl-job-admin"
	answering := strings.Replace(admin.srv.URL, "http://", "http://u:secret@", 1)
	token := "http://t0ken-secret@127.0.0.1:" + strconv.Itoa(refusedPort(t))
	_, cfg := configtest.Load(t, "xxl-job:\n  url: "+refused+","+answering+","+token+"\n")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	xc := cfg.XxlJob
	xc.AccessToken, xc.Address, xc.LogPath = testToken, ln.Addr().String(), t.TempDir()
	ex, err := xxljob.New(xc, xxljob.Options{Beat: time.Hour, Retry: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := ex.Register("echo", func(_ context.Context, _ *xxl.RunReq) (string, error) { return "ok", nil }); err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: ex.Handler()}}
	srv.Start()
	t.Cleanup(srv.Close)
	logs := &logtest.Buffer{}
	ctx := zerolog.New(logs).Level(zerolog.DebugLevel).WithContext(context.Background())
	if err := ex.Start(ctx); err != nil {
		t.Fatal(err)
	}
	h := &harness{ex: ex, url: srv.URL}
	h.mustTrigger(t, runReq(1, 1, "echo", "", "SERIAL_EXECUTION"))
	eventually(t, 10*time.Second, "registry and callback errors logged", func() bool {
		s := logs.String()
		return strings.Contains(s, "xxl-job registry failed on every admin") &&
			strings.Contains(s, "xxl-job callback not accepted")
	})
	stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ex.Stop(stop); err != nil {
		t.Fatal(err)
	}

	out := logs.String()
	for _, want := range []string{"xxl-job executor started", "connection refused", "The access token is wrong.",
		"registryRemove failed", "u:******@127.0.0.1", "http://******@127.0.0.1"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "secret") {
		t.Errorf("a password of xxl-job.url reached the log:\n%s", out)
	}
	if s := cfg.String(); strings.Contains(s, "secret") || !strings.Contains(s, "u:******@") {
		t.Errorf("masked config shows %s", s)
	}
}

func TestBadAdminURLErrorHidesPassword(t *testing.T) {
	for _, raw := range []string{"ftp://u:secret@host", "http://u:secret,x@host/x", "u:secret@host"} {
		_, err := xxljob.New(config.XxlJob{URL: raw, AppName: "a", LogPath: t.TempDir()}, xxljob.Options{})
		if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "xxl-job.url") {
			t.Fatalf("New(%q) = %v, want ErrInvalid naming xxl-job.url", raw, err)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("New(%q) error shows the password: %v", raw, err)
		}
	}
}
