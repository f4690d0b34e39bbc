package db

import (
	"context"

	"gorm.io/gorm"
)

// WithTx runs fn in a transaction on gdb and commits when fn returns nil. A
// transient failure (deadlock, lost connection, busy file) rolls back and
// runs fn again in a new transaction, so fn must not have side effects
// outside tx. It returns fn's error or the commit's, unwrapped by nothing.
func WithTx(ctx context.Context, gdb *gorm.DB, fn func(tx *gorm.DB) error) error {
	return Retry(ctx, func(ctx context.Context) error {
		return gdb.WithContext(ctx).Transaction(fn)
	})
}
