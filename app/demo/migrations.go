package demo

import (
	"time"

	"gorm.io/gorm"

	"gomicro/app/db"
)

// Migrations returns the module's schema steps, oldest first, for db.Migrate.
func Migrations() []db.Migration {
	return []db.Migration{{ID: "202611220001_demo_items", Up: createItems}}
}

// createItems is frozen at its version: later changes to Item get a new
// step, never an edit here.
func createItems(tx *gorm.DB) error {
	type item struct {
		ID          int64     `gorm:"primaryKey;autoIncrement"`
		Name        string    `gorm:"type:varchar(64);not null;uniqueIndex:uk_demo_items_name"`
		PriceCents  int64     `gorm:"not null"`
		Description string    `gorm:"type:varchar(1024);not null;default:''"`
		CreatedAt   time.Time `gorm:"not null"`
		UpdatedAt   time.Time `gorm:"not null"`
	}
	if tx.Dialector.Name() == "mysql" {
		// Binary collation: names compare exactly, as on SQLite, so
		// "Tea" and "tea" are two items on both drivers.
		tx = tx.Set("gorm:table_options", "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin")
	}
	return tx.Table("demo_items").AutoMigrate(&item{})
}
