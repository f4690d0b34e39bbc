package db_test

import (
	"context"
	"testing"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"gomicro/app/config"
	"gomicro/app/db"
	"gomicro/app/logging/logtest"
)

// logContext returns a ctx whose logger writes JSON lines at debug to the
// returned buffer.
func logContext(t *testing.T) (context.Context, *logtest.Buffer) {
	t.Helper()
	buf := &logtest.Buffer{}
	log := zerolog.New(buf).Level(zerolog.DebugLevel)
	return log.WithContext(t.Context()), buf
}

// open opens cfg and closes it when t ends.
func open(t *testing.T, ctx context.Context, cfg config.Database) *gorm.DB {
	t.Helper()
	gdb, err := db.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if sqlDB, err := gdb.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	return gdb
}

// widget is the table the data layer tests write.
type widget struct {
	ID   uint   `gorm:"primaryKey"`
	Code string `gorm:"size:64;uniqueIndex"`
	Qty  int
}

// widgets creates the widget table through a migration, as a module would.
func widgets(t *testing.T, ctx context.Context, gdb *gorm.DB) {
	t.Helper()
	steps := []db.Migration{{ID: "0001_widgets", Up: func(tx *gorm.DB) error {
		return tx.AutoMigrate(&widget{})
	}}}
	if err := db.Migrate(ctx, gdb, steps); err != nil {
		t.Fatalf("migrate: %v", err)
	}
}

func count(t *testing.T, gdb *gorm.DB) int64 {
	t.Helper()
	var n int64
	if err := gdb.Model(&widget{}).Count(&n).Error; err != nil {
		t.Fatalf("count: %v", err)
	}
	return n
}
