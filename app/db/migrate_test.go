package db_test

import (
	"errors"
	"testing"

	"gorm.io/gorm"

	"gomicro/app/config"
	"gomicro/app/db"
	"gomicro/app/db/dbtest"
)

func TestMigrateAppliesEachStepOnce(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, cfg config.Database) {
		ctx, _ := logContext(t)
		gdb := open(t, ctx, cfg)
		runs := map[string]int{}
		steps := []db.Migration{
			{ID: "0001_widgets", Up: func(tx *gorm.DB) error { runs["0001"]++; return tx.AutoMigrate(&widget{}) }},
			{ID: "0002_seed", Up: func(tx *gorm.DB) error { runs["0002"]++; return tx.Create(&widget{Code: "seed"}).Error }},
		}
		for range 2 {
			if err := db.Migrate(ctx, gdb, steps); err != nil {
				t.Fatalf("migrate: %v", err)
			}
		}
		if runs["0001"] != 1 || runs["0002"] != 1 {
			t.Errorf("runs = %v, want each step once", runs)
		}
		var ids []string
		gdb.Table(db.MigrationTable).Order("id").Pluck("id", &ids)
		if len(ids) != 2 || ids[1] != "0002_seed" {
			t.Errorf("recorded versions = %v", ids)
		}

		boom := errors.New("boom")
		steps = append(steps, db.Migration{ID: "0003_fails", Up: func(*gorm.DB) error { return boom }})
		if err := db.Migrate(ctx, gdb, steps); !errors.Is(err, boom) {
			t.Errorf("failing step: err = %v, want it wrapped", err)
		}
	})
}
