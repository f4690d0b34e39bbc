package chat

import (
	"time"

	"gorm.io/gorm"

	"gomicro/app/db"
)

// Migrations returns the module's schema steps, oldest first. They run
// after app/auth's: the bot's account goes into auth_users.
func Migrations() []db.Migration {
	return []db.Migration{
		{ID: "202612010101_chat_tables", Up: createTables},
		{ID: "202612010102_chat_bot_user", Up: createBotUser},
		{ID: "202612020101_chat_public_and_private", Up: addPublicAndPrivate},
	}
}

// createTables is frozen at its version: later changes get a new step.
func createTables(tx *gorm.DB) error {
	type chat struct {
		ID            int64     `gorm:"primaryKey;autoIncrement"`
		URI           string    `gorm:"type:varchar(32);not null;uniqueIndex:uk_chat_chats_uri"`
		OwnerID       int64     `gorm:"not null"`
		LastMessageID int64     `gorm:"not null;default:0"`
		CreatedAt     time.Time `gorm:"not null"`
	}
	type member struct {
		ChatID   int64     `gorm:"primaryKey;autoIncrement:false"`
		UserID   int64     `gorm:"primaryKey;autoIncrement:false;index:idx_chat_members_user"`
		JoinedAt time.Time `gorm:"not null"`
	}
	type message struct {
		ChatID    int64     `gorm:"primaryKey;autoIncrement:false;uniqueIndex:uk_chat_messages_client,priority:1"`
		ID        int64     `gorm:"primaryKey;autoIncrement:false"`
		UserID    int64     `gorm:"not null;uniqueIndex:uk_chat_messages_client,priority:2"`
		Username  string    `gorm:"type:varchar(32);not null"`
		Body      string    `gorm:"type:text;not null"`
		ClientID  *string   `gorm:"type:varchar(64);uniqueIndex:uk_chat_messages_client,priority:3"`
		CreatedAt time.Time `gorm:"not null"`
	}
	type ticket struct {
		Hash      string    `gorm:"type:char(64);primaryKey"`
		ChatID    int64     `gorm:"not null"`
		UserID    int64     `gorm:"not null"`
		ExpiresAt time.Time `gorm:"not null;index:idx_chat_tickets_expires"`
	}
	if tx.Dialector.Name() == "mysql" {
		tx = tx.Set("gorm:table_options", "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin")
	}
	tables := []struct {
		name  string
		model any
	}{{"chat_chats", &chat{}}, {"chat_members", &member{}}, {"chat_messages", &message{}}, {"chat_tickets", &ticket{}}}
	for _, t := range tables {
		if err := tx.Table(t.name).AutoMigrate(t.model); err != nil {
			return err
		}
	}
	return nil
}

// createBotUser reserves the bot's name with a password hash that no
// password matches, so nobody can sign up or sign in as the bot.
func createBotUser(tx *gorm.DB) error {
	return tx.Exec("INSERT INTO auth_users (username, username_key, email, password_hash, created_at) VALUES (?, ?, '', '!', ?)",
		BotName, BotName, time.Now().UTC()).Error
}

// addPublicAndPrivate is frozen at its version. Chats created by name over
// MQTT are public (open to guests) and their uri is the name, up to 64
// characters; a message may be private to one target, by username (guests
// have no account id).
func addPublicAndPrivate(tx *gorm.DB) error {
	for _, q := range []string{
		"ALTER TABLE chat_chats ADD COLUMN public BOOLEAN NOT NULL DEFAULT 0",
		"ALTER TABLE chat_messages ADD COLUMN target VARCHAR(32) NULL",
	} {
		if err := tx.Exec(q).Error; err != nil {
			return err
		}
	}
	if tx.Dialector.Name() == "mysql" { // SQLite does not enforce a varchar's length
		return tx.Exec("ALTER TABLE chat_chats MODIFY uri VARCHAR(64) NOT NULL").Error
	}
	return nil
}
