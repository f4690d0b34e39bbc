//go:build !race

package nacos_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"gomicro/app/config"
	"gomicro/app/logging/logtest"
	"gomicro/app/nacos"
	"gomicro/app/nacos/nacostest"
)

// localFile is the env file every test starts from: Nacos settings come
// from the test (the password here only has to stay masked), business
// defaults from here.
const localFile = `
app:
  name: svc-local
log:
  level: info
database:
  password: local-db-pass
nacos:
  password: ` + localNacosPassword + `
`

const localNacosPassword = "nacos-pw-secret"

// env is one test's world: a fake Nacos, temp dirs, a loader and a store.
type env struct {
	t      *testing.T
	ctx    context.Context
	logs   *logtest.Buffer
	loader *config.Loader
	store  *config.Store
	cache  string
	logDir string
	key    nacostest.Key
}

// newEnv prepares dirs, the local file and a store holding local config.
// The dirs are removed after every client of the test is closed, because
// cleanups run last-registered first.
func newEnv(t *testing.T) *env {
	t.Helper()
	root, err := os.MkdirTemp("", "nacos-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(root) })
	file := filepath.Join(root, "config_test.yaml")
	if err := os.WriteFile(file, []byte(localFile), 0o600); err != nil {
		t.Fatal(err)
	}
	loader, err := config.NewLoader(config.Selection{Path: file, Env: "test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := loader.Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	logs := &logtest.Buffer{}
	l := zerolog.New(logs).Level(zerolog.DebugLevel)
	return &env{
		t: t, ctx: l.WithContext(context.Background()), logs: logs, loader: loader,
		store:  config.NewStore(cfg, config.Meta{Source: config.SourceLocal}),
		cache:  filepath.Join(root, "cache"),
		logDir: filepath.Join(root, "log"),
		key:    nacostest.Key{Group: "DEFAULT_GROUP", DataID: t.Name() + ".yaml"},
	}
}

// nacosConfig points at a gRPC port on loopback.
func (e *env) nacosConfig(grpcPort int) config.Nacos {
	return config.Nacos{
		Host: "127.0.0.1:8848", GRPCPort: grpcPort, Group: e.key.Group, DataID: e.key.DataID,
		Namespace: e.key.Tenant, TimeoutMS: 1000, CacheDir: e.cache, LogDir: e.logDir,
	}
}

// open starts a Client and closes it when the test ends.
func (e *env) open(cfg config.Nacos, opts ...nacos.Option) *nacos.Client {
	e.t.Helper()
	c, err := nacos.New(e.ctx, cfg, e.loader, e.store, opts...)
	if err != nil {
		e.t.Fatalf("nacos.New: %v", err)
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			e.t.Errorf("close: %v", err)
		}
	})
	return c
}

// settle waits until the client listens on fake and has finished its first
// sync. The SDK starts listening with an empty md5, so the server reports
// the dataId as changed; the SDK queries it, calls the listener (whose
// fetch the sync loop logs as a second "applied" or "unchanged" line), and
// listens once more with the current md5 (InSync). A change made before that is over races with the
// SDK's catch-up instead of testing push or refresh: while the SDK digests
// a listen reply it can overwrite the mark a concurrent push set (a lost
// update inside the SDK, repaired only by a later contact check). The
// digest of that last reply sends nothing, so no request marks its end; the
// short quiet period covers it and also lets our own fetch land.
func (e *env) settle(fake *nacostest.Server) {
	e.t.Helper()
	eventually(e.t, 10*time.Second, "client listens and synced", func() bool {
		logs := e.logs.String()
		return fake.InSync(e.key) && strings.Count(logs, "nacos config applied")+strings.Count(logs, "nacos config unchanged") >= 2 &&
			fake.Quiet(50*time.Millisecond)
	})
}

// startFake starts a fake Nacos on addr and stops it when the test ends.
func startFake(t *testing.T, addr string) *nacostest.Server {
	t.Helper()
	s, err := nacostest.Start(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) int { return nacostest.RefusedPort(t) }

func addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not synchronisation
	}
}
