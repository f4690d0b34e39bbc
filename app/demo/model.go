// Package demo is the worked example of a business module: a CRUD resource
// under /api/v1/demo/items written as controller (HTTP shape and declared
// validation), service (rules: paging, cursors, partial updates) and store
// (GORM, driver errors turned into the sentinels below).
package demo

import (
	"time"

	"gomicro/app/errs"
)

// The module's errors. Callers test them with errors.Is; the web edge maps
// their codes to 404, 409 and 422 and shows their messages to clients.
var (
	ErrNotFound = errs.E(errs.NotFound, "item not found")
	ErrConflict = errs.E(errs.Conflict, "an item with this name already exists")

	ErrBadCursor       = errs.E(errs.Invalid, "cursor is malformed")
	ErrPageAndCursor   = errs.E(errs.Invalid, "use either page or cursor, not both")
	ErrPageOutOfBounds = errs.E(errs.Invalid, "page must be 1-1000 and page_size 1-100; page further with the cursor")
	ErrBadShard        = errs.E(errs.Invalid, "shard total must be at least 1 and index in [0, total)")
)

// Item is one row of the demo_items table.
type Item struct {
	ID          int64
	Name        string
	PriceCents  int64
	Description string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// TableName fixes the table name so a renamed type never moves the data.
func (Item) TableName() string { return "demo_items" }

// Patch lists the fields a partial update changes; nil leaves a field as is.
type Patch struct {
	Name        *string
	PriceCents  *int64
	Description *string
}

func (p Patch) empty() bool { return p.Name == nil && p.PriceCents == nil && p.Description == nil }

// apply returns item with the patch's fields set.
func (p Patch) apply(item Item) Item {
	if p.Name != nil {
		item.Name = *p.Name
	}
	if p.PriceCents != nil {
		item.PriceCents = *p.PriceCents
	}
	if p.Description != nil {
		item.Description = *p.Description
	}
	return item
}
