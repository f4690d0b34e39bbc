package main

import (
	"context"
	"io"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"gomicro/app/boot"
	"gomicro/app/config"
	"gomicro/app/db/dbtest"
	"gomicro/app/module"
	"gomicro/app/modules"
)

// TestServerAppliesEveryModulesMigrations: both ways the server sets up a
// schema, `server migrate` and a start with database.auto_migrate, apply
// every step of every module in the one module list.
func TestServerAppliesEveryModulesMigrations(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  string
	}{
		{"migrate subcommand", []string{"migrate"}, "APP_DATABASE_AUTO_MIGRATE=false"},
		{"auto_migrate at start", nil, "APP_DATABASE_AUTO_MIGRATE=true"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			environ := append(testEnviron(t), tc.env)
			want := listedMigrations(t, environ)
			if len(want) == 0 {
				t.Fatal("the module list declares no migrations")
			}
			ctx, cancel := context.WithCancel(context.Background())
			pr, pw := io.Pipe()
			lines := watch(pr)
			done := make(chan error, 1)
			go func() { done <- run(ctx, tc.args, environ, pw, io.Discard); pw.Close() }()
			if tc.args == nil {
				lines.wait(t, "listening", 10*time.Second)
				cancel()
			}
			if err := <-done; err != nil {
				t.Fatalf("run: %v", err)
			}
			cancel()
			got := dbtest.AppliedMigrations(t, config.Database{Driver: "sqlite", Path: dbPathOf(environ)})
			if !slices.Equal(got, want) {
				t.Fatalf("applied %v, want every listed step %v", got, want)
			}
		})
	}
}

// listedMigrations boots the shared parts as the binary does and returns the
// migration IDs of every module in modules.All.
func listedMigrations(t *testing.T, environ []string) []string {
	t.Helper()
	app, err := boot.Start(t.Context(), boot.Options{Name: "server", Environ: environ, Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close(context.Background())
	return dbtest.MigrationIDs(module.Migrations(modules.All(app)))
}

func dbPathOf(environ []string) string {
	return filepath.Clean(config.Getenv(environ)("APP_DATABASE_PATH"))
}
