package db_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"gomicro/app/config"
	"gomicro/app/db"
	"gomicro/app/db/dbtest"
)

func TestUniqueViolationIsNotRetried(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, cfg config.Database) {
		ctx, _ := logContext(t)
		gdb := open(t, ctx, cfg)
		widgets(t, ctx, gdb)
		if err := gdb.Create(&widget{Code: "taken"}).Error; err != nil {
			t.Fatal(err)
		}
		var attempts int
		err := db.WithTx(ctx, gdb, func(tx *gorm.DB) error {
			attempts++
			return tx.Create(&widget{Code: "taken"}).Error
		})
		if !db.IsUniqueViolation(err) {
			t.Fatalf("err = %v, want a unique violation", err)
		}
		if db.IsTransient(err) {
			t.Error("a unique violation is classified transient")
		}
		if attempts != 1 {
			t.Errorf("attempts = %d, want 1", attempts)
		}
	})
}

// TestSQLiteBusyIsRetried provokes a real SQLITE_BUSY: a second pool writes
// while the first holds the write lock, with busy_timeout 0 so SQLite does
// not wait by itself. The first attempt releases the lock after failing.
func TestSQLiteBusyIsRetried(t *testing.T) {
	ctx, _ := logContext(t)
	path := filepath.Join(t.TempDir(), "busy.db")
	cfg := config.Database{Driver: "sqlite", DSN: "file:" + path + "?_pragma=busy_timeout(0)&_pragma=journal_mode(WAL)&_txlock=immediate"}
	holder := open(t, ctx, cfg)
	widgets(t, ctx, holder)
	writer := open(t, ctx, cfg)

	lock := holder.Begin()
	if err := lock.Create(&widget{Code: "holder"}).Error; err != nil {
		t.Fatalf("holder write: %v", err)
	}
	var attempts int
	var first error
	err := db.Retry(ctx, func(ctx context.Context) error {
		attempts++
		err := writer.WithContext(ctx).Create(&widget{Code: "writer"}).Error
		if attempts == 1 {
			first = err
			if cerr := lock.Commit().Error; cerr != nil {
				t.Errorf("holder commit: %v", cerr)
			}
		}
		return err
	})
	if err != nil {
		t.Fatalf("retry: %v (first error %v)", err, first)
	}
	if !db.IsTransient(first) {
		t.Fatalf("first attempt error = %v, want SQLITE_BUSY", first)
	}
	if attempts != 2 {
		t.Errorf("attempts = %d, want 2", attempts)
	}
	if n := count(t, writer); n != 2 {
		t.Errorf("rows = %d, want 2", n)
	}
}

// TestMySQLKilledConnectionIsRetried kills the server connection a
// transaction runs on; WithTx must run the transaction again on a fresh one.
func TestMySQLKilledConnectionIsRetried(t *testing.T) {
	ctx, _ := logContext(t)
	cfg := dbtest.MySQL(t)
	gdb := open(t, ctx, cfg)
	widgets(t, ctx, gdb)
	admin := open(t, ctx, cfg)

	var attempts int
	var first error
	err := db.WithTx(ctx, gdb, func(tx *gorm.DB) error {
		attempts++
		if attempts == 1 {
			var id int64
			if err := tx.Raw("SELECT CONNECTION_ID()").Scan(&id).Error; err != nil {
				return err
			}
			if err := admin.Exec(fmt.Sprintf("KILL %d", id)).Error; err != nil {
				t.Errorf("kill: %v", err)
			}
		}
		err := tx.Create(&widget{Code: "survivor"}).Error
		if attempts == 1 {
			first = err
		}
		return err
	})
	if err != nil {
		t.Fatalf("with tx: %v (first error %v)", err, first)
	}
	if first == nil || !db.IsTransient(first) {
		t.Fatalf("first attempt error = %v, want a lost connection", first)
	}
	if attempts != 2 {
		t.Errorf("attempts = %d, want 2", attempts)
	}
	if n := count(t, gdb); n != 1 {
		t.Errorf("rows = %d, want 1", n)
	}
}

// TestMySQLDeadlockIsRetried makes two transactions lock two rows in
// opposite orders; InnoDB picks a victim (1213), whose WithTx runs it again.
func TestMySQLDeadlockIsRetried(t *testing.T) {
	ctx, _ := logContext(t)
	cfg := dbtest.MySQL(t)
	gdb := open(t, ctx, cfg)
	widgets(t, ctx, gdb)
	if err := gdb.Create(&[]widget{{Code: "a"}, {Code: "b"}}).Error; err != nil {
		t.Fatal(err)
	}

	var attempts atomic.Int32
	var mu sync.Mutex
	var failures []error
	var holding sync.WaitGroup // both hold their first row before either asks for the second
	holding.Add(2)
	run := func(first, second string) error {
		var tries int
		return db.WithTx(ctx, gdb, func(tx *gorm.DB) error {
			attempts.Add(1)
			tries++
			if err := tx.Exec("UPDATE widgets SET qty = qty + 1 WHERE code = ?", first).Error; err != nil {
				return err
			}
			if tries == 1 {
				holding.Done()
				holding.Wait()
			}
			err := tx.Exec("UPDATE widgets SET qty = qty + 1 WHERE code = ?", second).Error
			if err != nil {
				mu.Lock()
				failures = append(failures, err)
				mu.Unlock()
			}
			return err
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- run("a", "b") }()
	go func() { errs <- run("b", "a") }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("transaction failed: %v", err)
		}
	}
	if len(failures) != 1 || !db.IsTransient(failures[0]) {
		t.Fatalf("failures = %v, want exactly one deadlock", failures)
	}
	if got := attempts.Load(); got != 3 {
		t.Errorf("attempts = %d, want 3", got)
	}
	var total int
	gdb.Raw("SELECT SUM(qty) FROM widgets").Scan(&total)
	if total != 4 {
		t.Errorf("sum(qty) = %d, want 4: each transaction applied once", total)
	}
}

func TestIsTransient(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"bad connection", fmt.Errorf("query: %w", driver.ErrBadConn), true},
		{"plain error", errors.New("syntax error"), false},
		{"context canceled", context.Canceled, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := db.IsTransient(tt.err); got != tt.want {
				t.Errorf("IsTransient(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestRetryStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var attempts int
	err := db.Retry(ctx, func(context.Context) error {
		attempts++
		cancel()
		return driver.ErrBadConn
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if attempts != 1 {
		t.Errorf("attempts = %d, want 1", attempts)
	}
}

func TestRetryGivesUpAfterFourAttempts(t *testing.T) {
	var attempts int
	err := db.Retry(t.Context(), func(context.Context) error {
		attempts++
		return driver.ErrBadConn
	})
	if !errors.Is(err, driver.ErrBadConn) || attempts != 4 {
		t.Errorf("err = %v after %d attempts, want ErrBadConn after 4", err, attempts)
	}
}
