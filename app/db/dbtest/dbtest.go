// Package dbtest gives tests a clean, real database per test on every
// driver gomicro supports: an SQLite file always, and MySQL/MariaDB when
// TEST_MYSQL_DSN is set (required when CI=true).
package dbtest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-sql-driver/mysql"

	"gomicro/app/config"
)

// Run runs fn as a subtest per driver ("sqlite", "mysql"), each with the
// config of a freshly created, empty database that is removed when the
// subtest ends. The mysql subtest is skipped when TEST_MYSQL_DSN is unset,
// and fails instead when CI=true.
func Run(t *testing.T, fn func(t *testing.T, cfg config.Database)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("mysql", func(t *testing.T) { fn(t, MySQL(t)) })
}

// SQLite returns the config of an empty SQLite file in t's temp dir.
func SQLite(t testing.TB) config.Database {
	t.Helper()
	return tuned(config.Database{Driver: "sqlite", Path: filepath.Join(t.TempDir(), "test.db")})
}

// MySQL creates a database with a random name on the server of
// TEST_MYSQL_DSN, drops it when t ends, and returns a config whose DSN points
// at it. It skips t when TEST_MYSQL_DSN is unset, or fails it when CI=true.
func MySQL(t testing.TB) config.Database {
	t.Helper()
	raw := os.Getenv("TEST_MYSQL_DSN")
	if raw == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TEST_MYSQL_DSN is required when CI=true")
		}
		t.Skip("TEST_MYSQL_DSN not set")
	}
	mc, err := mysql.ParseDSN(raw)
	if err != nil {
		t.Fatalf("TEST_MYSQL_DSN: %v", err)
	}
	// As the default database.params: times as time.Time, one round trip
	// per statement instead of prepare, execute, close.
	mc.ParseTime = true
	mc.InterpolateParams = true
	admin, err := sql.Open("mysql", mc.FormatDSN())
	if err != nil {
		t.Fatalf("open mysql: %v", err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	name := "gomicro_test_" + randomHex(t, 8)
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	mc.DBName = name
	return tuned(config.Database{Driver: "mysql", DSN: mc.FormatDSN(), Name: name})
}

// tuned adds the pool settings the service defaults to.
func tuned(c config.Database) config.Database {
	c.MaxOpenConns = 20
	c.MaxIdleConns = 10
	return c
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random: %v", err)
	}
	return hex.EncodeToString(b)
}
