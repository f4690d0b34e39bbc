//go:build !race

package nacos_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gomicro/app/config"
	"gomicro/app/errs"
	"gomicro/app/nacos"
	"gomicro/app/nacos/nacostest"
)

const remoteA = `
app:
  name: svc-remote
log:
  level: warn
database:
  password: s3cr3t-db-A
`

const remoteB = `
app:
  name: svc-remote
log:
  level: error
database:
  password: s3cr3t-db-B
`

func TestInitialLoadThenPushWithinOneSecond(t *testing.T) {
	e := newEnv(t)
	fake := startFake(t, "127.0.0.1:0")
	fake.SetConfig(e.key, remoteA)

	var changes = make(chan config.Change, 4)
	e.store.Subscribe(func(_ context.Context, ch config.Change) { changes <- ch })
	c := e.open(e.nacosConfig(fake.Port()))

	if got := c.Status(); got.Source != config.SourceNacos || got.MD5 != nacostest.MD5(remoteA) {
		t.Fatalf("status after start = %+v, want source nacos with md5 of A", got)
	}
	if lvl := e.store.Current().Log.Level; lvl != "warn" {
		t.Fatalf("log.level = %q, want warn from nacos", lvl)
	}
	if detail, err := c.Probe(e.ctx); err != nil || !strings.Contains(detail, "source=nacos") {
		t.Errorf("Probe = %q, %v; want source=nacos and no error", detail, err)
	}
	select {
	case <-changes: // the initial load
	case <-time.After(5 * time.Second):
		t.Fatal("no change reported for the initial load")
	}
	e.settle(fake)

	pushed := time.Now()
	fake.SetConfig(e.key, remoteB)
	select {
	case ch := <-changes:
		if d := time.Since(pushed); d > time.Second {
			t.Errorf("push applied after %s, want within 1s", d)
		}
		if !slices.Contains(ch.Keys, "log.level") || !slices.Contains(ch.Keys, "database.password") {
			t.Errorf("changed keys = %v, want log.level and database.password", ch.Keys)
		}
		if ch.OldMD5 != nacostest.MD5(remoteA) || ch.NewMD5 != nacostest.MD5(remoteB) {
			t.Errorf("md5 %s -> %s, want A -> B", ch.OldMD5, ch.NewMD5)
		}
	case <-time.After(time.Second):
		t.Fatal("push not applied within 1s")
	}
	if lvl := e.store.Current().Log.Level; lvl != "error" {
		t.Errorf("log.level = %q after push, want error", lvl)
	}
	logs := e.logs.String()
	if strings.Contains(logs, "s3cr3t-db") {
		t.Errorf("a secret from the config content reached the log:\n%s", logs)
	}
	if !strings.Contains(logs, `"component":"nacos-sdk"`) {
		t.Errorf("no SDK line went through zerolog:\n%s", logs)
	}
	if files, _ := os.ReadDir(e.logDir); len(files) > 0 {
		t.Errorf("the SDK wrote its own log files: %v", files)
	}
	snaps, _ := filepath.Glob(filepath.Join(e.cache, "snapshot", "*.json"))
	if len(snaps) != 1 {
		t.Fatalf("snapshots on disk: %v, want one", snaps)
	}
	if info, err := os.Stat(snaps[0]); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("snapshot %s: %v; want a 0600 file", snaps[0], err)
	}
}

func TestInvalidPushIsRefusedAndOldConfigKept(t *testing.T) {
	cases := []struct {
		name, content, reason string
	}{
		{"bad yaml", "log:\n  level: [warn\n", "parse yaml"},
		{"fails validation", "log:\n  level: loud\n", "log.level"},
		{"unknown key", "log:\n  level: debug\nserver:\n  prot: 8001\n", "remote config: server.prot: unknown key (did you mean server.port?)"},
		{"dataId deleted", "", "empty or missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			fake := startFake(t, "127.0.0.1:0")
			fake.SetConfig(e.key, remoteA)
			c := e.open(e.nacosConfig(fake.Port()))
			e.settle(fake)

			if tc.content == "" {
				fake.RemoveConfig(e.key)
			} else {
				fake.SetConfig(e.key, tc.content)
			}
			eventually(t, 5*time.Second, "refusal logged", func() bool {
				return strings.Contains(e.logs.String(), "nacos config refused") && strings.Contains(e.logs.String(), tc.reason)
			})
			if got := c.Status(); got.Source != config.SourceNacos || got.MD5 != nacostest.MD5(remoteA) {
				t.Errorf("status after refused push = %+v, want A still in force", got)
			}
			if lvl := e.store.Current().Log.Level; lvl != "warn" {
				t.Errorf("log.level = %q, want warn kept", lvl)
			}

			_, err := c.Refresh(e.ctx)
			if !errors.Is(err, nacos.ErrRefused) {
				t.Fatalf("Refresh error = %v, want ErrRefused", err)
			}
			if code, msg := errs.CodeOf(err); code != errs.Invalid || !strings.Contains(msg, tc.reason) {
				t.Errorf("Refresh error code %q message %q, want invalid naming %q", code, msg, tc.reason)
			}
		})
	}
}

func TestRefreshPicksUpChangeWhosePushWasLost(t *testing.T) {
	e := newEnv(t)
	fake := startFake(t, "127.0.0.1:0")
	fake.SetConfig(e.key, remoteA)
	c := e.open(e.nacosConfig(fake.Port()))
	e.settle(fake)

	fake.SetConfigSilently(e.key, remoteB)
	ch, err := c.Refresh(e.ctx)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if !slices.Contains(ch.Keys, "log.level") || ch.NewMD5 != nacostest.MD5(remoteB) {
		t.Errorf("change = keys %v md5 %s, want log.level and md5 of B", ch.Keys, ch.NewMD5)
	}
	if lvl := e.store.Current().Log.Level; lvl != "error" {
		t.Errorf("log.level = %q, want error", lvl)
	}

	again, err := c.Refresh(e.ctx)
	if err != nil || len(again.Keys) != 0 {
		t.Errorf("second Refresh = %v, %v; want no change", again.Keys, err)
	}
}

// seedSnapshot runs a client against a live fake once so the cache dir holds
// a last-good snapshot of content.
func seedSnapshot(t *testing.T, e *env, content string) {
	t.Helper()
	fake, err := nacostest.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Stop()
	fake.SetConfig(e.key, content)
	store := config.NewStore(e.store.Current(), e.store.Meta())
	c, err := nacos.New(e.ctx, e.nacosConfig(fake.Port()), e.loader, store)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status().Source != config.SourceNacos {
		t.Fatalf("seeding: source %q", c.Status().Source)
	}
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestNacosDownAtStart(t *testing.T) {
	cases := []struct {
		name     string
		port     func(t testing.TB) int
		snapshot bool
		want     string
	}{
		{"refused port, snapshot", nacostest.RefusedPort, true, config.SourceSnapshot},
		{"refused port, no snapshot", nacostest.RefusedPort, false, config.SourceLocal},
		{"silent port, snapshot", nacostest.Blackhole, true, config.SourceSnapshot},
		{"silent port, no snapshot", nacostest.Blackhole, false, config.SourceLocal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.snapshot {
				seedSnapshot(t, e, remoteA)
			}
			cfg := e.nacosConfig(tc.port(t))
			cfg.TimeoutMS = 0 // the default bound, 3 s

			began := time.Now()
			c := e.open(cfg)
			if d := time.Since(began); d > 4*time.Second {
				t.Errorf("start took %s, want at most 4s", d)
			}
			st := c.Status()
			if st.Source != tc.want || !st.Degraded() {
				t.Errorf("status = %+v, want degraded source %q", st, tc.want)
			}
			wantLevel := map[string]string{config.SourceSnapshot: "warn", config.SourceLocal: "info"}[tc.want]
			if lvl := e.store.Current().Log.Level; lvl != wantLevel {
				t.Errorf("log.level = %q, want %q from the %s config", lvl, wantLevel, tc.want)
			}
			if detail, err := c.Probe(e.ctx); !errors.Is(err, nacos.ErrUnavailable) || !strings.Contains(detail, "source="+tc.want) {
				t.Errorf("Probe = %q, %v; want source %s reported as unavailable", detail, err, tc.want)
			}
			if _, err := c.Refresh(e.ctx); !errors.Is(err, nacos.ErrUnavailable) {
				t.Errorf("Refresh while down = %v, want ErrUnavailable", err)
			}
		})
	}
}

func TestRecoversInBackgroundWhenNacosComesUp(t *testing.T) {
	e := newEnv(t)
	port := freePort(t)
	c := e.open(e.nacosConfig(port))
	if c.Status().Source != config.SourceLocal {
		t.Fatalf("source = %q, want local while down", c.Status().Source)
	}
	fake := startFake(t, addr(port))
	fake.SetConfig(e.key, remoteB)
	eventually(t, 15*time.Second, "config from nacos after it came up", func() bool {
		return c.Status().Source == config.SourceNacos && e.store.Current().Log.Level == "error"
	})
}

func TestPicksUpChangeAcrossNacosRestart(t *testing.T) {
	e := newEnv(t)
	first := startFake(t, "127.0.0.1:0")
	port := first.Port()
	first.SetConfig(e.key, remoteA)
	c := e.open(e.nacosConfig(port))
	e.settle(first)

	first.Stop()
	second := startFake(t, addr(port))
	second.SetConfig(e.key, remoteB)
	eventually(t, 15*time.Second, "changed value after restart", func() bool {
		return e.store.Current().Log.Level == "error" && c.Status().MD5 == nacostest.MD5(remoteB)
	})
	// And it listens again: a push to the new server arrives too.
	eventually(t, 10*time.Second, "client listens to the new server", func() bool { return second.Listening(e.key) > 0 })
	second.SetConfig(e.key, remoteA)
	eventually(t, 2*time.Second, "push after restart", func() bool { return e.store.Current().Log.Level == "warn" })
}

func TestRegisterAndDeregisterOnClose(t *testing.T) {
	e := newEnv(t)
	fake := startFake(t, "127.0.0.1:0")
	fake.SetConfig(e.key, remoteA)
	cfg := e.nacosConfig(fake.Port())
	cfg.Register = true
	c, err := nacos.New(e.ctx, cfg, e.loader, e.store)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := c.RegisterInstance(e.ctx, 18080)
	if err != nil {
		t.Fatal(err)
	}
	if inst.Service != "svc-remote" || inst.IP != "127.0.0.1" || inst.Port != 18080 {
		t.Errorf("instance = %+v, want svc-remote (app.name) at 127.0.0.1:18080", inst)
	}
	eventually(t, 10*time.Second, "instance registered", func() bool { return len(fake.Instances(inst.Service, e.key.Group)) == 1 })
	got := fake.Instances(inst.Service, e.key.Group)[0]
	if got.IP != "127.0.0.1" || got.Port != 18080 || !got.Ephemeral {
		t.Errorf("registered %+v, want ephemeral 127.0.0.1:18080", got)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if n := fake.Requests("InstanceRequest/deregisterInstance"); n != 1 {
		t.Errorf("deregister requests = %d, want 1", n)
	}
	// The SDK may still be replaying its redo registration from connect
	// time; the instance is gone once that and the connection are.
	eventually(t, 5*time.Second, "no instance after Close", func() bool { return len(fake.Instances(inst.Service, e.key.Group)) == 0 })
}

func TestRegistrationSurvivesRestartAndUsesConfiguredAddress(t *testing.T) {
	e := newEnv(t)
	first := startFake(t, "127.0.0.1:0")
	port := first.Port()
	first.SetConfig(e.key, remoteA)
	cfg := e.nacosConfig(port)
	cfg.Register, cfg.ServiceName, cfg.AdvertiseIP, cfg.AdvertisePort = true, "orders", "10.1.2.3", 9000
	c := e.open(cfg)
	if _, err := c.RegisterInstance(e.ctx, 18080); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "registered", func() bool { return len(first.Instances("orders", e.key.Group)) == 1 })

	first.Stop()
	second := startFake(t, addr(port))
	eventually(t, 15*time.Second, "registered again after restart", func() bool {
		in := second.Instances("orders", e.key.Group)
		return len(in) == 1 && in[0].IP == "10.1.2.3" && in[0].Port == 9000
	})
	if err := c.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if second.Requests("InstanceRequest/deregisterInstance") != 1 {
		t.Error("no deregister request on Close")
	}
	eventually(t, 5*time.Second, "no instance after Close", func() bool { return len(second.Instances("orders", e.key.Group)) == 0 })
}

func TestRegistersOnceNacosComesUp(t *testing.T) {
	e := newEnv(t)
	port := freePort(t)
	cfg := e.nacosConfig(port)
	cfg.Register = true
	c := e.open(cfg)
	inst, err := c.RegisterInstance(e.ctx, 18081)
	if err != nil {
		t.Fatal(err)
	}
	fake := startFake(t, addr(port))
	fake.SetConfig(e.key, remoteA)
	eventually(t, 15*time.Second, "registered after Nacos came up", func() bool {
		return len(fake.Instances(inst.Service, e.key.Group)) == 1
	})
	if err := c.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if fake.Requests("InstanceRequest/deregisterInstance") != 1 {
		t.Error("no deregister request on Close")
	}
	eventually(t, 5*time.Second, "no instance after Close", func() bool { return len(fake.Instances(inst.Service, e.key.Group)) == 0 })
}

// Close may stop waiting for a registration still under way; the instance
// must not stay behind once that registration completes.
func TestCloseThatStopsWaitingLeavesNoInstance(t *testing.T) {
	e := newEnv(t)
	fake := startFake(t, "127.0.0.1:0")
	fake.SetConfig(e.key, remoteA)
	cfg := e.nacosConfig(fake.Port())
	cfg.Register = true
	c, err := nacos.New(e.ctx, cfg, e.loader, e.store)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	fake.HoldInstanceRequests()
	t.Cleanup(fake.ReleaseInstanceRequests)
	inst, err := c.RegisterInstance(e.ctx, 18082)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "register request waits at the server", func() bool { return fake.HeldInstanceRequests() > 0 })

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := c.Close(ctx); err == nil {
		t.Fatal("Close = nil while the registration was still under way, want an error saying so")
	}
	fake.ReleaseInstanceRequests() // the registration lands after Close gave up
	eventually(t, 10*time.Second, "the late registration undone", func() bool {
		return fake.Requests("InstanceRequest/registerInstance") > 0 &&
			fake.Requests("InstanceRequest/deregisterInstance") > 0 &&
			len(fake.Instances(inst.Service, e.key.Group)) == 0
	})
}
