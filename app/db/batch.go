package db

import (
	"context"
	"errors"
	"slices"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// DefaultChunk is the chunk size InsertBatch and Upsert use when given 0:
// small enough to stay under MySQL's 65535 placeholders for wide rows.
const DefaultChunk = 500

// InsertBatch inserts rows in statements of at most chunk rows (0 means
// DefaultChunk), all in one transaction retried as a whole on transient
// errors, and fills in generated keys. Pass values, not pointers: each
// attempt works on a copy so a retry never reuses keys of a rolled-back
// attempt. It returns the first non-transient error, e.g. a unique violation.
func InsertBatch[T any](ctx context.Context, gdb *gorm.DB, rows []T, chunk int) error {
	if len(rows) == 0 {
		return nil
	}
	chunk = chunkSize(chunk)
	return Retry(ctx, func(ctx context.Context) error {
		work := slices.Clone(rows)
		err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return tx.CreateInBatches(&work, chunk).Error
		})
		if err == nil {
			copy(rows, work)
		}
		return err
	})
}

// Upsert writes rows in chunks of at most chunk rows (0 means DefaultChunk):
// a row whose conflict columns match an existing row updates that row's
// update columns instead of failing. MySQL gets ON DUPLICATE KEY UPDATE,
// SQLite ON CONFLICT (...) DO UPDATE, both from GORM's clause API; on SQLite
// the conflict columns must carry a unique index. Each chunk is one
// statement, idempotent, so it is retried alone on transient errors and the
// chunks before a failure stay written. rows are left as given: MySQL does
// not report the keys of updated rows, so none are filled in. It returns the
// first failing chunk's error.
func Upsert[T any](ctx context.Context, gdb *gorm.DB, rows []T, chunk int, conflict, update []string) error {
	if len(conflict) == 0 || len(update) == 0 {
		return errors.New("upsert: conflict and update columns are required")
	}
	cols := make([]clause.Column, len(conflict))
	for i, c := range conflict {
		cols[i] = clause.Column{Name: c}
	}
	onConflict := clause.OnConflict{Columns: cols, DoUpdates: clause.AssignmentColumns(update)}
	for part := range slices.Chunk(rows, chunkSize(chunk)) {
		err := Retry(ctx, func(ctx context.Context) error {
			work := slices.Clone(part)
			return gdb.WithContext(ctx).Clauses(onConflict).Create(&work).Error
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func chunkSize(n int) int {
	if n <= 0 {
		return DefaultChunk
	}
	return n
}
