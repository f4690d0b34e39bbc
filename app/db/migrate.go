package db

import (
	"context"
	"fmt"

	"github.com/go-gormigrate/gormigrate/v2"
	"github.com/rs/zerolog"
	"gorm.io/gorm"
)

// MigrationTable records the IDs of applied migrations.
const MigrationTable = "schema_migrations"

// Migration is one versioned schema step. ID orders nothing by itself: steps
// run in the order given, and an ID, once applied, is never run again, so a
// step is never edited after release; a new step is added instead. Up
// should create tables from a struct declared inside the step, frozen at
// that version, not from the live model.
type Migration struct {
	ID string
	Up func(tx *gorm.DB) error
}

// Migrate applies, in order, the steps whose IDs are not yet recorded in
// MigrationTable on gdb. It returns an error naming the failing step; steps
// before it stay applied (MySQL commits DDL implicitly, so a step is not
// wrapped in a transaction that could not undo it anyway).
func Migrate(ctx context.Context, gdb *gorm.DB, steps []Migration) error {
	if len(steps) == 0 {
		return nil
	}
	ms := make([]*gormigrate.Migration, len(steps))
	for i, s := range steps {
		ms[i] = &gormigrate.Migration{ID: s.ID, Migrate: s.Up}
	}
	opts := *gormigrate.DefaultOptions
	opts.TableName = MigrationTable
	m := gormigrate.New(gdb.WithContext(ctx), &opts, ms)
	if err := m.Migrate(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	zerolog.Ctx(ctx).Info().Str("version", steps[len(steps)-1].ID).Msg("database schema up to date")
	return nil
}
