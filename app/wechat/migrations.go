package wechat

import (
	"time"

	"gorm.io/gorm"

	"gomicro/app/db"
)

// Migrations returns the module's schema steps, oldest first: the accounts
// and keyword rules managed through the admin API.
func Migrations() []db.Migration {
	return []db.Migration{{ID: "202612010001_wechat_accounts_rules", Up: createAccountsRules}}
}

// createAccountsRules is frozen at its version: later changes get a new
// step, never an edit here.
func createAccountsRules(tx *gorm.DB) error {
	type account struct {
		ID                int64     `gorm:"primaryKey;autoIncrement"`
		Name              string    `gorm:"type:varchar(32);not null;uniqueIndex:uk_wechat_accounts_name"`
		AppID             string    `gorm:"type:varchar(64);not null"`
		AppSecret         string    `gorm:"type:varchar(128);not null;default:''"`
		Token             string    `gorm:"type:varchar(128);not null"`
		EncodingAESKey    string    `gorm:"type:varchar(43);not null;default:''"`
		OldEncodingAESKey string    `gorm:"type:varchar(43);not null;default:''"`
		Welcome           string    `gorm:"type:varchar(2048);not null;default:''"`
		Units             string    `gorm:"type:varchar(512);not null;default:''"`
		ForwardURL        string    `gorm:"type:varchar(1024);not null;default:''"`
		CreatedAt         time.Time `gorm:"not null"`
		UpdatedAt         time.Time `gorm:"not null"`
	}
	type rule struct {
		ID        int64     `gorm:"primaryKey;autoIncrement"`
		AccountID int64     `gorm:"not null;index:ix_wechat_rules_account"`
		MatchKind string    `gorm:"type:varchar(16);not null"`
		Pattern   string    `gorm:"type:varchar(256);not null"`
		Reply     string    `gorm:"type:varchar(2048);not null"`
		Priority  int       `gorm:"not null;default:0"`
		CreatedAt time.Time `gorm:"not null"`
		UpdatedAt time.Time `gorm:"not null"`
	}
	if tx.Dialector.Name() == "mysql" {
		// Binary collation: names and patterns compare exactly, as on
		// SQLite and as WeChat's path segments do.
		tx = tx.Set("gorm:table_options", "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin")
	}
	if err := tx.Table("wechat_accounts").AutoMigrate(&account{}); err != nil {
		return err
	}
	return tx.Table("wechat_rules").AutoMigrate(&rule{})
}
