package dbtest

import (
	"slices"
	"testing"

	"github.com/rs/zerolog"

	"gomicro/app/config"
	"gomicro/app/db"
)

// AppliedMigrations opens cfg and returns the IDs recorded in
// db.MigrationTable, sorted; none when the table does not exist.
func AppliedMigrations(t testing.TB, cfg config.Database) []string {
	t.Helper()
	gdb, err := db.Open(zerolog.Nop().WithContext(t.Context()), cfg)
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	defer func() {
		if sqlDB, err := gdb.DB(); err == nil {
			_ = sqlDB.Close()
		}
	}()
	var ids []string
	if gdb.Migrator().HasTable(db.MigrationTable) {
		if err := gdb.Table(db.MigrationTable).Pluck("id", &ids).Error; err != nil {
			t.Fatalf("read %s: %v", db.MigrationTable, err)
		}
	}
	slices.Sort(ids)
	return ids
}

// MigrationIDs returns the IDs of steps, sorted.
func MigrationIDs(steps []db.Migration) []string {
	ids := make([]string, len(steps))
	for i, s := range steps {
		ids[i] = s.ID
	}
	slices.Sort(ids)
	return ids
}
