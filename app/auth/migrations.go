package auth

import (
	"time"

	"gorm.io/gorm"

	"gomicro/app/db"
)

// Migrations returns the module's schema steps, oldest first.
func Migrations() []db.Migration {
	return []db.Migration{{ID: "202612010001_auth_users_tokens", Up: createUsersTokens}}
}

// createUsersTokens is frozen at its version: later changes get a new step.
func createUsersTokens(tx *gorm.DB) error {
	type user struct {
		ID           int64     `gorm:"primaryKey;autoIncrement"`
		Username     string    `gorm:"type:varchar(32);not null"`
		UsernameKey  string    `gorm:"type:varchar(32);not null;uniqueIndex:uk_auth_users_username_key"`
		Email        string    `gorm:"type:varchar(254);not null;default:''"`
		PasswordHash string    `gorm:"type:varchar(255);not null"`
		CreatedAt    time.Time `gorm:"not null"`
	}
	type token struct {
		ID        int64     `gorm:"primaryKey;autoIncrement"`
		UserID    int64     `gorm:"not null;index:idx_auth_tokens_user"`
		TokenHash string    `gorm:"type:char(64);not null;uniqueIndex:uk_auth_tokens_hash"`
		ExpiresAt time.Time `gorm:"not null;index:idx_auth_tokens_expires"`
		CreatedAt time.Time `gorm:"not null"`
	}
	if tx.Dialector.Name() == "mysql" {
		// Binary collation: keys compare byte for byte, as on SQLite.
		tx = tx.Set("gorm:table_options", "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin")
	}
	if err := tx.Table("auth_users").AutoMigrate(&user{}); err != nil {
		return err
	}
	return tx.Table("auth_tokens").AutoMigrate(&token{})
}
