package db_test

import (
	"fmt"
	"strings"
	"testing"

	"gomicro/app/config"
	"gomicro/app/db"
	"gomicro/app/db/dbtest"
)

func TestInsertBatchAndUpsertInChunks(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, cfg config.Database) {
		ctx, logs := logContext(t)
		gdb := open(t, ctx, cfg)
		widgets(t, ctx, gdb)

		rows := make([]widget, 1234)
		for i := range rows {
			rows[i] = widget{Code: fmt.Sprintf("w%05d", i), Qty: 1}
		}
		if err := db.InsertBatch(ctx, gdb, rows, 100); err != nil {
			t.Fatalf("insert batch: %v", err)
		}
		if n := count(t, gdb); n != 1234 {
			t.Fatalf("rows after insert = %d, want 1234", n)
		}
		seen := map[uint]bool{}
		for _, r := range rows {
			if r.ID == 0 || seen[r.ID] {
				t.Fatalf("row %s got key %d; want a distinct generated key", r.Code, r.ID)
			}
			seen[r.ID] = true
		}
		if got := strings.Count(logs.String(), "INSERT INTO `widgets`"); got != 13 {
			t.Errorf("insert statements = %d, want 13 chunks of <=100", got)
		}

		// Half updates of existing codes, half new codes.
		before := strings.Count(logs.String(), "INSERT INTO `widgets`")
		up := make([]widget, 1000)
		for i := range up {
			up[i] = widget{Code: fmt.Sprintf("w%05d", 734+i), Qty: 7}
		}
		if err := db.Upsert(ctx, gdb, up, 300, []string{"code"}, []string{"qty"}); err != nil {
			t.Fatalf("upsert: %v", err)
		}
		if n := count(t, gdb); n != 1734 {
			t.Errorf("rows after upsert = %d, want 1734", n)
		}
		var updated, untouched int64
		gdb.Model(&widget{}).Where("qty = ?", 7).Count(&updated)
		gdb.Model(&widget{}).Where("qty = ?", 1).Count(&untouched)
		if updated != 1000 || untouched != 734 {
			t.Errorf("qty=7 rows %d, qty=1 rows %d; want 1000 and 734", updated, untouched)
		}
		log := logs.String()
		if got := strings.Count(log, "INSERT INTO `widgets`") - before; got != 4 {
			t.Errorf("upsert statements = %d, want 4 chunks of <=300", got)
		}
		want := map[string]string{"mysql": "ON DUPLICATE KEY UPDATE", "sqlite": "ON CONFLICT"}[cfg.Driver]
		if !strings.Contains(log, want) {
			t.Errorf("upsert SQL lacks %q", want)
		}
	})
}

func TestUpsertRequiresColumns(t *testing.T) {
	ctx, _ := logContext(t)
	gdb := open(t, ctx, dbtest.SQLite(t))
	if err := db.Upsert(ctx, gdb, []widget{{Code: "a"}}, 0, nil, []string{"qty"}); err == nil {
		t.Fatal("upsert without conflict columns succeeded")
	}
}

func TestInsertBatchStopsAtUniqueViolation(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, cfg config.Database) {
		ctx, _ := logContext(t)
		gdb := open(t, ctx, cfg)
		widgets(t, ctx, gdb)
		rows := []widget{{Code: "same"}, {Code: "other"}, {Code: "same"}}
		err := db.InsertBatch(ctx, gdb, rows, 2)
		if !db.IsUniqueViolation(err) {
			t.Fatalf("err = %v, want a unique violation", err)
		}
		if n := count(t, gdb); n != 0 {
			t.Errorf("rows after failed batch = %d, want 0 (one transaction)", n)
		}
	})
}
