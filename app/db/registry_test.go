package db_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gomicro/app/config"
	"gomicro/app/config/configtest"
	"gomicro/app/db"
)

// loadConfig builds a real Config from YAML the way the binary does.
func loadConfig(t *testing.T, yaml string) (*config.Loader, *config.Config) {
	t.Helper()
	return configtest.Load(t, yaml)
}

func TestRegistry(t *testing.T) {
	dir := t.TempDir()
	_, cfg := loadConfig(t, `
database:
  driver: sqlite
  path: `+filepath.Join(dir, "main.db")+`
  max_open_conns: 7
databases:
  reports:
    driver: sqlite
    path: `+filepath.Join(dir, "sub", "reports.db")+`
`)
	ctx, _ := logContext(t)
	reg, err := db.NewRegistry(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })

	if got := reg.Names(); len(got) != 2 || got[0] != "default" || got[1] != "reports" {
		t.Errorf("names = %v", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "main.db")); !os.IsNotExist(err) {
		t.Errorf("default database exists before first use: %v", err)
	}
	first, err := reg.Get(ctx, "reports")
	if err != nil {
		t.Fatal(err)
	}
	again, _ := reg.Get(ctx, "reports")
	if first != again {
		t.Error("second Get opened a new connection")
	}
	sqlDB, _ := first.DB()
	if got := sqlDB.Stats().MaxOpenConnections; got != 7 {
		t.Errorf("named pool max open = %d, want 7 inherited from database", got)
	}
	if _, err := reg.Get(ctx, "nope"); !errors.Is(err, db.ErrUnknown) {
		t.Errorf("unknown name: err = %v, want ErrUnknown", err)
	}
	if err := reg.Ping(ctx); err != nil {
		t.Errorf("ping: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "main.db")); err != nil {
		t.Errorf("ping did not open the default database: %v", err)
	}
	if err := reg.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if err := db.Ping(ctx, first); err == nil {
		t.Error("ping after Close succeeded")
	}
}

func TestRegistryRejectsReservedName(t *testing.T) {
	_, cfg := loadConfig(t, `
databases:
  default:
    driver: sqlite
    path: x.db
`)
	if _, err := db.NewRegistry(t.Context(), cfg); err == nil {
		t.Error("a named database called default was accepted")
	}
}

func TestRegistryPingReportsDownDatabase(t *testing.T) {
	_, cfg := loadConfig(t, `
database:
  driver: mysql
  host: 127.0.0.1
  port: 1
  user: nobody
  password: hunter2
`)
	ctx, _ := logContext(t)
	reg, err := db.NewRegistry(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = reg.Ping(ctx)
	if err == nil {
		t.Fatal("ping of a closed port succeeded")
	}
	if s := err.Error(); strings.Contains(s, "hunter2") {
		t.Errorf("error %q is empty or leaks the password", s)
	}
}

func TestRegistryAppliesReloadedPoolSizes(t *testing.T) {
	dir := t.TempDir()
	base := "database:\n  driver: sqlite\n  path: " + filepath.Join(dir, "main.db") + "\n"
	loader, cfg := loadConfig(t, base+"  max_open_conns: 5\n")
	ctx, logs := logContext(t)
	store := config.NewStore(cfg, config.Meta{Source: config.SourceLocal})
	reg, err := db.NewRegistry(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	reg.Watch(store)
	gdb, err := reg.Default(ctx)
	if err != nil {
		t.Fatal(err)
	}

	next, err := loader.Build([]byte("database:\n  max_open_conns: 3\n  path: elsewhere.db\n"))
	if err != nil {
		t.Fatal(err)
	}
	store.Apply(ctx, next, config.Meta{Source: config.SourceNacos, MD5: "x"})

	sqlDB, _ := gdb.DB()
	if got := sqlDB.Stats().MaxOpenConnections; got != 3 {
		t.Errorf("max open after reload = %d, want 3", got)
	}
	if got := lines(t, logs.String(), "database connection settings changed; restart to apply them"); len(got) != 1 {
		t.Errorf("restart warnings = %d, want 1 for the changed path", len(got))
	}
	if err := reg.Ping(ctx); err != nil {
		t.Errorf("ping after reload: %v", err)
	}
}

// TestRegistryOpensNamesIndependently: while one connection is stuck
// dialing a server that never answers, the others are still handed out, and
// the stuck open ends with its caller's context.
func TestRegistryOpensNamesIndependently(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c // held open, never answered
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	_, cfg := loadConfig(t, fmt.Sprintf(`
database:
  driver: sqlite
  path: %s
databases:
  stuck:
    driver: mysql
    host: 127.0.0.1
    port: %d
`, filepath.Join(t.TempDir(), "main.db"), port))
	ctx, _ := logContext(t)
	reg, err := db.NewRegistry(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })

	stuckCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := reg.Get(stuckCtx, "stuck")
		done <- err
	}()
	c := <-accepted
	t.Cleanup(func() { _ = c.Close() })
	if _, err := reg.Default(ctx); err != nil {
		t.Fatalf("default while another name dials: %v", err)
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("open of a silent server succeeded")
	}
}
