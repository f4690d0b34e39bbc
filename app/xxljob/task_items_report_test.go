package xxljob_test

import (
	"fmt"
	"testing"

	"github.com/rs/zerolog"

	"gomicro/app/db"
	"gomicro/app/db/dbtest"
	"gomicro/app/demo"
	"gomicro/app/xxljob"
)

func TestDemoItemsReportCountsItsShard(t *testing.T) {
	ctx := zerolog.Nop().WithContext(t.Context())
	gdb, err := db.Open(ctx, dbtest.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := gdb.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	if err := db.Migrate(ctx, gdb, demo.Migrations()); err != nil {
		t.Fatal(err)
	}
	items := demo.NewService(demo.NewStore(gdb))
	for i := range 7 { // ids 1..7
		if _, err := items.Create(ctx, demo.NewItem{Name: fmt.Sprintf("item-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	admin := newFakeAdmin(t, testToken)
	h := start(t, setup{admins: admin.srv.URL,
		tasks: map[string]xxljob.Handler{"demo_items_report_task": demo.ItemsReportTask(items)}})

	for _, tt := range []struct {
		logID        int64
		index, total int64
		wantMsg      string
	}{
		{401, 0, 0, "shard 0/1: 7 items"}, // not broadcast: one shard
		{402, 0, 3, "shard 0/3: 2 items"}, // ids 3, 6
		{403, 1, 3, "shard 1/3: 3 items"}, // ids 1, 4, 7
		{404, 2, 3, "shard 2/3: 2 items"}, // ids 2, 5
	} {
		req := runReq(tt.logID, tt.logID, "demo_items_report_task", "", "SERIAL_EXECUTION")
		req.BroadcastIndex, req.BroadcastTotal = tt.index, tt.total
		h.mustTrigger(t, req)
		assertCallback(t, admin.awaitCallbacks(t, tt.logID)[tt.logID], 200, tt.wantMsg)
	}
}
