package db_test

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"gomicro/app/config"
	"gomicro/app/db"
)

// lockedBuffer collects log output written from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// logContext returns a ctx whose logger writes JSON lines at debug to the
// returned buffer.
func logContext(t *testing.T) (context.Context, *lockedBuffer) {
	t.Helper()
	buf := &lockedBuffer{}
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
