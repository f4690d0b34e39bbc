package demo_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"gomicro/app/config"
	"gomicro/app/db"
	"gomicro/app/db/dbtest"
	"gomicro/app/demo"
)

// newService opens cfg, applies the module's migrations and returns the
// service the HTTP layer would use.
func newService(t testing.TB, cfg config.Database) (context.Context, *demo.Service, *gorm.DB) {
	t.Helper()
	ctx := zerolog.Nop().WithContext(t.Context())
	gdb, err := db.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if sqlDB, err := gdb.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	if err := db.Migrate(ctx, gdb, demo.Migrations()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return ctx, demo.NewService(demo.NewStore(gdb)), gdb
}

func ptr[T any](v T) *T { return &v }

func TestItemLifecycle(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, cfg config.Database) {
		ctx, svc, _ := newService(t, cfg)
		created, err := svc.Create(ctx, demo.NewItem{Name: "tea", PriceCents: 350, Description: "green"})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		if created.ID == 0 || created.CreatedAt.IsZero() || !created.CreatedAt.Equal(created.UpdatedAt) {
			t.Fatalf("created = %+v, want an id and equal timestamps", created)
		}
		got, err := svc.Get(ctx, created.ID)
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		if got.Name != "tea" || got.PriceCents != 350 || got.Description != "green" || !got.CreatedAt.Equal(created.CreatedAt) {
			t.Errorf("get = %+v, want what was created (%+v)", got, created)
		}

		updated, err := svc.Update(ctx, created.ID, demo.Patch{PriceCents: ptr(int64(0)), Description: ptr("")})
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		if updated.Name != "tea" || updated.PriceCents != 0 || updated.Description != "" || updated.UpdatedAt.Before(created.UpdatedAt) {
			t.Errorf("updated = %+v", updated)
		}
		if again, _ := svc.Get(ctx, created.ID); again.PriceCents != 0 || again.Description != "" {
			t.Errorf("stored after update = %+v", again)
		}
		if same, err := svc.Update(ctx, created.ID, demo.Patch{}); err != nil || !same.UpdatedAt.Equal(updated.UpdatedAt) {
			t.Errorf("empty patch = %+v, %v; want the item unchanged", same, err)
		}

		if err := svc.Delete(ctx, created.ID); err != nil {
			t.Fatalf("delete: %v", err)
		}
		for name, err := range map[string]error{
			"get":    second(svc.Get(ctx, created.ID)),
			"update": second(svc.Update(ctx, created.ID, demo.Patch{Name: ptr("x")})),
			"delete": svc.Delete(ctx, created.ID),
		} {
			if !errors.Is(err, demo.ErrNotFound) {
				t.Errorf("%s after delete: err = %v, want ErrNotFound", name, err)
			}
		}
	})
}

func second[T any](_ T, err error) error { return err }

func TestDuplicateNamesConflict(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, cfg config.Database) {
		ctx, svc, _ := newService(t, cfg)
		tea, err := svc.Create(ctx, demo.NewItem{Name: "tea"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Create(ctx, demo.NewItem{Name: "tea"}); !errors.Is(err, demo.ErrConflict) {
			t.Errorf("duplicate create: err = %v, want ErrConflict", err)
		}
		// Names compare exactly on both drivers.
		coffee, err := svc.Create(ctx, demo.NewItem{Name: "Tea"})
		if err != nil {
			t.Fatalf("create Tea beside tea: %v", err)
		}
		if _, err := svc.Update(ctx, coffee.ID, demo.Patch{Name: ptr("tea")}); !errors.Is(err, demo.ErrConflict) {
			t.Errorf("rename onto a taken name: err = %v, want ErrConflict", err)
		}
		if _, err := svc.Update(ctx, tea.ID, demo.Patch{Name: ptr("tea")}); err != nil {
			t.Errorf("rename to its own name: %v", err)
		}
	})
}

func TestConcurrentCreates(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, cfg config.Database) {
		ctx, svc, gdb := newService(t, cfg)
		const n = 50
		createAll := func(name func(i int) string) []error {
			errs := make([]error, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					_, errs[i] = svc.Create(ctx, demo.NewItem{Name: name(i), PriceCents: int64(i)})
				})
			}
			close(start)
			wg.Wait()
			return errs
		}

		for i, err := range createAll(func(i int) string { return fmt.Sprintf("distinct-%02d", i) }) {
			if err != nil {
				t.Errorf("distinct create %d: %v", i, err)
			}
		}
		var ok, conflicts int
		for _, err := range createAll(func(int) string { return "same" }) {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, demo.ErrConflict):
				conflicts++
			default:
				t.Errorf("duplicate create: unexpected error %v", err)
			}
		}
		if ok != 1 || conflicts != n-1 {
			t.Errorf("same-name creates: %d succeeded, %d conflicted; want 1 and %d", ok, conflicts, n-1)
		}
		var rows int64
		gdb.Model(&demo.Item{}).Count(&rows)
		if rows != n+1 {
			t.Errorf("rows = %d, want %d", rows, n+1)
		}
	})
}

func TestList(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, cfg config.Database) {
		ctx, svc, _ := newService(t, cfg)
		var names []string
		for i := range 25 {
			names = append(names, fmt.Sprintf("apple-%02d", i))
		}
		for i := range 20 {
			names = append(names, fmt.Sprintf("banana-%02d", i))
		}
		names = append(names, "Apple-big", "50%_off", "50x_off", "appl")
		for _, name := range names {
			if _, err := svc.Create(ctx, demo.NewItem{Name: name}); err != nil {
				t.Fatal(err)
			}
		}

		tests := []struct {
			name      string
			q         demo.Query
			wantNames []string
			wantTotal int64
			wantNext  bool
		}{
			{"first page default size", demo.Query{}, names[:20], 49, true},
			{"prefix second page", demo.Query{Prefix: "apple-", Page: 2, PageSize: 10}, names[10:20], 25, true},
			{"prefix last page", demo.Query{Prefix: "apple-", Page: 3, PageSize: 10}, names[20:25], 25, false},
			{"past the end", demo.Query{Prefix: "banana", Page: 9, PageSize: 10}, nil, 20, false},
			{"prefix is case-sensitive", demo.Query{Prefix: "Apple"}, []string{"Apple-big"}, 1, false},
			{"wildcards are literal", demo.Query{Prefix: "50%"}, []string{"50%_off"}, 1, false},
			{"no match", demo.Query{Prefix: "zzz"}, nil, 0, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p, err := svc.List(ctx, tt.q)
				if err != nil {
					t.Fatal(err)
				}
				if got := itemNames(p.Items); !equal(got, tt.wantNames) || p.Total != tt.wantTotal || (p.NextCursor != "") != tt.wantNext {
					t.Errorf("page = %v total %d next %q; want %v total %d next %v", got, p.Total, p.NextCursor, tt.wantNames, tt.wantTotal, tt.wantNext)
				}
			})
		}

		t.Run("cursor walks every item once", func(t *testing.T) {
			var seen []string
			q := demo.Query{Prefix: "apple-", PageSize: 7}
			for pages := 0; ; pages++ {
				if pages > 10 {
					t.Fatal("cursor does not end")
				}
				p, err := svc.List(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if p.Total != 25 {
					t.Errorf("total = %d, want 25 on every page", p.Total)
				}
				seen = append(seen, itemNames(p.Items)...)
				if p.NextCursor == "" {
					break
				}
				q.Cursor = p.NextCursor
			}
			if !equal(seen, names[:25]) {
				t.Errorf("walked %v", seen)
			}
		})

		for name, tt := range map[string]struct {
			q    demo.Query
			want error
		}{
			"bad cursor":        {demo.Query{Cursor: "not-a-cursor"}, demo.ErrBadCursor},
			"cursor and page":   {demo.Query{Cursor: "djE6MQ", Page: 2}, demo.ErrPageAndCursor},
			"page too deep":     {demo.Query{Page: demo.MaxPage + 1}, demo.ErrPageOutOfBounds},
			"page size too big": {demo.Query{PageSize: demo.MaxPageSize + 1}, demo.ErrPageOutOfBounds},
		} {
			t.Run(name, func(t *testing.T) {
				if _, err := svc.List(ctx, tt.q); !errors.Is(err, tt.want) {
					t.Errorf("err = %v, want %v", err, tt.want)
				}
			})
		}
	})
}

func itemNames(items []demo.Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Name)
	}
	return out
}

func equal(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

func TestCountShard(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, cfg config.Database) {
		ctx, svc, _ := newService(t, cfg)
		var ids []int64
		for i := range 17 {
			item, err := svc.Create(ctx, demo.NewItem{Name: fmt.Sprintf("shard-%02d", i)})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, item.ID)
		}
		// Gaps in the ids, as deletes leave them, must not shift the shards.
		for _, i := range []int{3, 4, 11} {
			if err := svc.Delete(ctx, ids[i]); err != nil {
				t.Fatal(err)
			}
		}
		live := slices.Delete(slices.Clone(ids), 11, 12)
		live = slices.Delete(live, 3, 5)

		for _, total := range []int64{1, 2, 3, 5, 40} {
			t.Run(fmt.Sprintf("total %d", total), func(t *testing.T) {
				var sum int64
				for index := range total {
					got, err := svc.CountShard(ctx, index, total)
					if err != nil {
						t.Fatalf("shard %d/%d: %v", index, total, err)
					}
					if want := countMod(live, index, total); got != want {
						t.Errorf("shard %d/%d = %d items, want %d", index, total, got, want)
					}
					sum += got
				}
				if sum != int64(len(live)) {
					t.Errorf("shards of %d sum to %d, want every item once (%d)", total, sum, len(live))
				}
			})
		}

		for _, tt := range []struct {
			name         string
			index, total int64
		}{
			{"zero total", 0, 0},
			{"negative total", 0, -2},
			{"negative index", -1, 3},
			{"index past total", 3, 3},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if n, err := svc.CountShard(ctx, tt.index, tt.total); !errors.Is(err, demo.ErrBadShard) {
					t.Errorf("CountShard(%d, %d) = %d, %v; want ErrBadShard", tt.index, tt.total, n, err)
				}
			})
		}
	})
}

// countMod counts the ids that shard index of total holds.
func countMod(ids []int64, index, total int64) int64 {
	var n int64
	for _, id := range ids {
		if id%total == index {
			n++
		}
	}
	return n
}
