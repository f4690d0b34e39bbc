package main

import (
	"context"
	"io"
	"path/filepath"
	"slices"
	"testing"

	"gomicro/app/boot"
	"gomicro/app/config"
	"gomicro/app/db/dbtest"
	"gomicro/app/module"
	"gomicro/app/modules"
)

// TestJobAppliesEveryModulesMigrations: the executor, started with
// database.auto_migrate on a fresh database, applies every step of every
// module in the one module list, as the server does.
func TestJobAppliesEveryModulesMigrations(t *testing.T) {
	admin := newAdmin(t)
	dbPath := filepath.Join(t.TempDir(), "job.db")
	path := writeConfig(t, testConfig{admin: admin.url, port: freePort(t), database: dbPath})

	app, err := boot.Start(t.Context(), boot.Options{Name: "job", Args: []string{"-config", path}, Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	want := dbtest.MigrationIDs(module.Migrations(modules.All(app)))
	if err := app.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		t.Fatal("the module list declares no migrations")
	}
	if got := dbtest.AppliedMigrations(t, config.Database{Driver: "sqlite", Path: dbPath}); len(got) != 0 {
		t.Fatalf("booting alone migrated %v; the test would prove nothing", got)
	}

	job := startRun(t, path)
	job.next(t, admin, "/api/registry ")
	job.stop(t, admin)
	if got := dbtest.AppliedMigrations(t, config.Database{Driver: "sqlite", Path: dbPath}); !slices.Equal(got, want) {
		t.Fatalf("applied %v, want every listed step %v", got, want)
	}
}
