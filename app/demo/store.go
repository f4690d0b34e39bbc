package demo

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"gorm.io/gorm"

	"gomicro/app/db"
)

// Store reads and writes items with GORM and turns driver errors into the
// module's sentinels.
type Store struct {
	db *gorm.DB
}

// NewStore returns a Store on gdb, whose schema Migrations has set up.
func NewStore(gdb *gorm.DB) *Store { return &Store{db: gdb} }

// Create inserts item and fills in its id and timestamps. It returns an
// error wrapping ErrConflict when the name is taken.
func (s *Store) Create(ctx context.Context, item *Item) error {
	err := db.Retry(ctx, func(ctx context.Context) error {
		return s.db.WithContext(ctx).Create(item).Error
	})
	if err != nil {
		return fmt.Errorf("create item %q: %w", item.Name, mapErr(err))
	}
	return nil
}

// Get returns the item with id, or an error wrapping ErrNotFound.
func (s *Store) Get(ctx context.Context, id int64) (Item, error) {
	var item Item
	err := db.Retry(ctx, func(ctx context.Context) error {
		return s.db.WithContext(ctx).Take(&item, id).Error
	})
	if err != nil {
		return Item{}, fmt.Errorf("get item %d: %w", id, mapErr(err))
	}
	return item, nil
}

// Filter selects items for List: names starting with Prefix (compared
// exactly, case included) and, for cursor paging, ids above AfterID.
type Filter struct {
	Prefix  string
	AfterID int64
}

// List returns up to limit items matching f in id order, skipping offset of
// them, and the number of items matching the prefix alone (the total the
// client pages through).
func (s *Store) List(ctx context.Context, f Filter, offset, limit int) ([]Item, int64, error) {
	var items []Item
	var total int64
	err := db.Retry(ctx, func(ctx context.Context) error {
		base := s.db.WithContext(ctx).Model(&Item{})
		if f.Prefix != "" {
			// name >= prefix lets the unique index find the start; substr
			// keeps the match exact on both drivers, unlike LIKE, whose
			// case rules and escapes differ between them.
			base = base.Where("name >= ? AND substr(name, 1, ?) = ?", f.Prefix, utf8.RuneCountInString(f.Prefix), f.Prefix)
		}
		if err := base.Count(&total).Error; err != nil {
			return err
		}
		page := base
		if f.AfterID > 0 {
			page = page.Where("id > ?", f.AfterID)
		}
		items = items[:0]
		return page.Order("id").Offset(offset).Limit(limit).Find(&items).Error
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list items: %w", mapErr(err))
	}
	return items, total, nil
}

// CountShard returns the number of items whose id modulo total is index.
// The % operator, unlike MOD(), exists on both drivers. total must be
// positive; the error is the driver's, wrapped.
func (s *Store) CountShard(ctx context.Context, index, total int64) (int64, error) {
	var n int64
	err := db.Retry(ctx, func(ctx context.Context) error {
		return s.db.WithContext(ctx).Model(&Item{}).Where("id % ? = ?", total, index).Count(&n).Error
	})
	if err != nil {
		return 0, fmt.Errorf("count items of shard %d/%d: %w", index, total, mapErr(err))
	}
	return n, nil
}

// Update applies p to the item with id in one transaction and returns the
// result. It returns an error wrapping ErrNotFound or ErrConflict.
func (s *Store) Update(ctx context.Context, id int64, p Patch) (Item, error) {
	var out Item
	err := db.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		var cur Item
		if err := tx.Take(&cur, id).Error; err != nil {
			return err
		}
		out = p.apply(cur)
		return tx.Save(&out).Error
	})
	if err != nil {
		return Item{}, fmt.Errorf("update item %d: %w", id, mapErr(err))
	}
	return out, nil
}

// Delete removes the item with id, or returns an error wrapping ErrNotFound.
func (s *Store) Delete(ctx context.Context, id int64) error {
	var rows int64
	err := db.Retry(ctx, func(ctx context.Context) error {
		res := s.db.WithContext(ctx).Delete(&Item{}, id)
		rows = res.RowsAffected
		return res.Error
	})
	if err == nil && rows == 0 {
		err = gorm.ErrRecordNotFound
	}
	if err != nil {
		return fmt.Errorf("delete item %d: %w", id, mapErr(err))
	}
	return nil
}

// mapErr turns the driver's "no row" and "duplicate" into sentinels and
// leaves every other error, an internal one, as it is.
func mapErr(err error) error {
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ErrNotFound
	case db.IsUniqueViolation(err):
		return fmt.Errorf("%w: %w", ErrConflict, err)
	default:
		return err
	}
}
