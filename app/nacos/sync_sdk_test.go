//go:build !race

package nacos_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"gomicro/app/config"
	"gomicro/app/nacos"
	"gomicro/app/nacos/nacostest"
)

// A Refresh whose answer left Nacos before a push must not win over the
// push: the older content would stay in force while the SDK, already at the
// newer md5, sees nothing left to deliver.
func TestRefreshDoesNotOverwriteNewerPush(t *testing.T) {
	e := newEnv(t)
	fake := startFake(t, "127.0.0.1:0")
	fake.SetConfig(e.key, remoteA)
	cfg := e.nacosConfig(fake.Port())
	cfg.TimeoutMS = 5000 // queries are held on purpose below
	c := e.open(cfg)
	e.settle(fake)

	fake.HoldQueries(e.key)
	t.Cleanup(func() { fake.ReleaseQueries(e.key) })
	refreshed := make(chan error, 1)
	go func() {
		_, err := c.Refresh(e.ctx)
		refreshed <- err
	}()
	eventually(t, 5*time.Second, "the refresh's query waits at the server, holding A", func() bool { return fake.HeldQueries(e.key) == 1 })
	fake.SetConfig(e.key, remoteB)
	eventually(t, 5*time.Second, "the push's query waits too, holding B", func() bool { return fake.HeldQueries(e.key) == 2 })

	// B reaches the client first. A listener that applied B at once would
	// do so within milliseconds; give it a second before answering the
	// refresh with A, so both orders of old and new are exercised.
	fake.ReleaseNewest(e.key)
	poll(time.Second, func() bool { return e.store.Current().Log.Level == "error" })
	fake.ReleaseQueries(e.key)
	select {
	case err := <-refreshed:
		if err != nil {
			t.Fatalf("Refresh: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Refresh did not return")
	}
	eventually(t, 3*time.Second, "B, the newest content, in force", func() bool {
		return e.store.Current().Log.Level == "error" && c.Status().MD5 == nacostest.MD5(remoteB)
	})
}

// poll waits until cond holds or within has passed, whichever is first; the
// caller goes on either way.
func poll(within time.Duration, cond func() bool) {
	deadline := time.Now().Add(within)
	for !cond() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // polling interval, not synchronisation
	}
}

// Config that came from Nacos stays in force when Nacos goes away, but it
// must show as degraded: nothing says it is still current.
func TestLosingNacosShowsDegradedUntilItAnswersAgain(t *testing.T) {
	e := newEnv(t)
	first := startFake(t, "127.0.0.1:0")
	port := first.Port()
	first.SetConfig(e.key, remoteA)
	cfg := e.nacosConfig(port)
	cfg.TimeoutMS = 500
	c := e.open(cfg, nacos.WithContactCheck(200*time.Millisecond))
	h := newEngine(t, e.store, c)

	st := c.Status()
	if st.Degraded() || st.LastContact.IsZero() {
		t.Fatalf("status after start = %+v, want live with a last contact", st)
	}
	eventually(t, 5*time.Second, "contact checks move last_contact on", func() bool { return c.Status().LastContact.After(st.LastContact) })

	first.Stop()
	eventually(t, 10*time.Second, "degraded after nacos went away", func() bool { return c.Status().Degraded() })
	st = c.Status()
	if st.Source != config.SourceNacos || !st.Unreachable || st.MD5 != nacostest.MD5(remoteA) {
		t.Errorf("status = %+v, want A from nacos, unreachable", st)
	}
	if e.store.Current().Log.Level != "warn" {
		t.Errorf("log.level = %q, want A's warn kept", e.store.Current().Log.Level)
	}
	if detail, err := c.Probe(e.ctx); !errors.Is(err, nacos.ErrUnavailable) || !strings.Contains(detail, "source=nacos") {
		t.Errorf("Probe = %q, %v; want source=nacos reported as unavailable", detail, err)
	}
	if rec := do(t, h, request{http.MethodGet, "/nacos/getConfig", loopback, ""}); !strings.Contains(rec.Body.String(), `"degraded":true`) {
		t.Errorf("GET /nacos/getConfig = %d %s, want degraded:true", rec.Code, rec.Body)
	}

	second := startFake(t, addr(port))
	second.SetConfig(e.key, remoteA)
	eventually(t, 15*time.Second, "live again once nacos answers", func() bool { return !c.Status().Degraded() })
	if _, err := c.Probe(e.ctx); err != nil {
		t.Errorf("Probe after recovery = %v, want nil", err)
	}
	if rec := do(t, h, request{http.MethodGet, "/nacos/getConfig", loopback, ""}); !strings.Contains(rec.Body.String(), `"degraded":false`) {
		t.Errorf("GET /nacos/getConfig = %d %s, want degraded:false", rec.Code, rec.Body)
	}
}

// A change whose push never arrived is applied by the next contact check,
// without anyone calling Refresh.
func TestContactCheckRepairsLostPush(t *testing.T) {
	e := newEnv(t)
	fake := startFake(t, "127.0.0.1:0")
	fake.SetConfig(e.key, remoteA)
	c := e.open(e.nacosConfig(fake.Port()), nacos.WithContactCheck(200*time.Millisecond))
	e.settle(fake)

	fake.SetConfigSilently(e.key, remoteB)
	eventually(t, 5*time.Second, "B applied by the contact check", func() bool {
		return e.store.Current().Log.Level == "error" && c.Status().MD5 == nacostest.MD5(remoteB)
	})

	// Content refused once is not refused again at every check.
	fake.SetConfigSilently(e.key, "log:\n  level: loud\n")
	eventually(t, 5*time.Second, "refusal logged", func() bool { return strings.Contains(e.logs.String(), "nacos config refused") })
	checks := fake.Requests("ConfigQueryRequest")
	eventually(t, 5*time.Second, "three more checks", func() bool { return fake.Requests("ConfigQueryRequest") >= checks+3 })
	if n := strings.Count(e.logs.String(), "nacos config refused"); n != 1 {
		t.Errorf("refusal logged %d times, want once", n)
	}
	if e.store.Current().Log.Level != "error" {
		t.Errorf("log.level = %q, want B's error kept", e.store.Current().Log.Level)
	}

	// Back to B, then the bad content again: that is a new refusal.
	fake.SetConfigSilently(e.key, remoteB)
	checks = fake.Requests("ConfigQueryRequest")
	eventually(t, 5*time.Second, "a check sees B", func() bool { return fake.Requests("ConfigQueryRequest") >= checks+2 })
	fake.SetConfigSilently(e.key, "log:\n  level: loud\n")
	eventually(t, 5*time.Second, "the second refusal logged", func() bool {
		return strings.Count(e.logs.String(), "nacos config refused") == 2
	})
}

// The SDK refuses a sixth query within a second on its own; a push and a
// few refreshes from ops must not see that as Nacos being unavailable.
func TestRefreshesInQuickSuccessionAreNotRateLimited(t *testing.T) {
	e := newEnv(t)
	fake := startFake(t, "127.0.0.1:0")
	fake.SetConfig(e.key, remoteA)
	c := e.open(e.nacosConfig(fake.Port()))
	e.settle(fake)

	fake.SetConfig(e.key, remoteB)
	for i := range 8 {
		if _, err := c.Refresh(e.ctx); err != nil {
			t.Fatalf("Refresh %d: %v", i+1, err)
		}
	}
	if lvl := e.store.Current().Log.Level; lvl != "error" {
		t.Errorf("log.level = %q, want B's error", lvl)
	}
}

// Content refused at start leaves the local config in force; the checks
// neither repeat the refusal nor stop asking, so a fix made in Nacos is
// picked up even when its push is lost.
func TestRefusedAtStartIsCheckedQuietlyUntilFixed(t *testing.T) {
	e := newEnv(t)
	fake := startFake(t, "127.0.0.1:0")
	fake.SetConfig(e.key, "log:\n  level: loud\n")
	c := e.open(e.nacosConfig(fake.Port()), nacos.WithContactCheck(200*time.Millisecond))
	if st := c.Status(); st.Source != config.SourceLocal || !st.Degraded() {
		t.Fatalf("status = %+v, want degraded local config", st)
	}
	checks := fake.Requests("ConfigQueryRequest")
	eventually(t, 5*time.Second, "three more checks", func() bool { return fake.Requests("ConfigQueryRequest") >= checks+3 })
	if n := strings.Count(e.logs.String(), "nacos config refused"); n != 1 {
		t.Errorf("refusal logged %d times, want once", n)
	}

	fake.SetConfigSilently(e.key, remoteA)
	eventually(t, 5*time.Second, "the fixed content live", func() bool {
		return c.Status().Source == config.SourceNacos && e.store.Current().Log.Level == "warn"
	})
}
