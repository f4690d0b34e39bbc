package demo

import (
	"context"
	"fmt"
)

// Paging bounds: a page is never larger than MaxPageSize, and offsets stop at
// MaxPage so a deep page cannot make the database scan the whole table;
// cursors page through any depth.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
	MaxPage         = 1000
)

// Service holds the module's rules between the controller and the store.
type Service struct {
	store *Store
}

// NewService returns a Service over store.
func NewService(store *Store) *Service { return &Service{store: store} }

// NewItem is the input of Create.
type NewItem struct {
	Name        string
	PriceCents  int64
	Description string
}

// Create stores a new item. It returns an error wrapping ErrConflict when
// the name is taken.
func (s *Service) Create(ctx context.Context, in NewItem) (Item, error) {
	item := Item{Name: in.Name, PriceCents: in.PriceCents, Description: in.Description}
	if err := s.store.Create(ctx, &item); err != nil {
		return Item{}, err
	}
	return item, nil
}

// Get returns the item with id, or an error wrapping ErrNotFound.
func (s *Service) Get(ctx context.Context, id int64) (Item, error) {
	return s.store.Get(ctx, id)
}

// Query asks List for one page: by Page number, or after Cursor (a value
// from a previous Page.NextCursor), of items whose name starts with Prefix.
type Query struct {
	Prefix   string
	Page     int
	PageSize int
	Cursor   string
}

// Page is one page of items. Total counts every item matching the prefix;
// NextCursor is empty on the last page.
type Page struct {
	Items      []Item
	Total      int64
	Page       int
	PageSize   int
	NextCursor string
}

// List returns one page of items in id order. It returns an error wrapping
// ErrBadCursor, ErrPageAndCursor (a cursor with a page number other than 1)
// or ErrPageOutOfBounds (page past MaxPage, page_size past MaxPageSize).
func (s *Service) List(ctx context.Context, q Query) (Page, error) {
	if q.PageSize <= 0 {
		q.PageSize = DefaultPageSize
	}
	if q.Page <= 0 {
		q.Page = 1
	}
	if q.PageSize > MaxPageSize || q.Page > MaxPage {
		return Page{}, fmt.Errorf("list items: page %d size %d: %w", q.Page, q.PageSize, ErrPageOutOfBounds)
	}
	f := Filter{Prefix: q.Prefix}
	offset := (q.Page - 1) * q.PageSize
	if q.Cursor != "" {
		if q.Page != 1 {
			return Page{}, fmt.Errorf("list items: %w", ErrPageAndCursor)
		}
		after, err := decodeCursor(q.Cursor)
		if err != nil {
			return Page{}, fmt.Errorf("list items: %w", err)
		}
		f.AfterID, offset = after, 0
	}
	// One extra row tells whether another page follows without a second query.
	items, total, err := s.store.List(ctx, f, offset, q.PageSize+1)
	if err != nil {
		return Page{}, err
	}
	p := Page{Items: items, Total: total, Page: q.Page, PageSize: q.PageSize}
	if len(items) > q.PageSize {
		p.Items = items[:q.PageSize]
		p.NextCursor = encodeCursor(p.Items[q.PageSize-1].ID)
	}
	return p, nil
}

// CountShard returns the number of items in shard index of total, the
// items whose id modulo total is index, so that total workers each counting
// their own index cover every item once. It returns an error wrapping
// ErrBadShard when total < 1 or index is outside [0, total).
func (s *Service) CountShard(ctx context.Context, index, total int64) (int64, error) {
	if total < 1 || index < 0 || index >= total {
		return 0, fmt.Errorf("count items of shard %d/%d: %w", index, total, ErrBadShard)
	}
	return s.store.CountShard(ctx, index, total)
}

// Update changes the fields p sets and returns the item; an empty patch
// returns it unchanged. It returns an error wrapping ErrNotFound or
// ErrConflict.
func (s *Service) Update(ctx context.Context, id int64, p Patch) (Item, error) {
	if p.empty() {
		return s.store.Get(ctx, id)
	}
	return s.store.Update(ctx, id, p)
}

// Delete removes the item with id, or returns an error wrapping ErrNotFound.
func (s *Service) Delete(ctx context.Context, id int64) error {
	return s.store.Delete(ctx, id)
}
