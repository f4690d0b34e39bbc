package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"gomicro/app/db"
)

// Store reads and writes accounts and token hashes with GORM.
type Store struct {
	db *gorm.DB
}

// NewStore returns a Store on gdb, whose schema Migrations has set up.
func NewStore(gdb *gorm.DB) *Store { return &Store{db: gdb} }

// createUser inserts u and fills in its id. It returns an error wrapping
// ErrUsernameTaken when the name is taken in any case.
func (s *Store) createUser(ctx context.Context, u *userRow) error {
	err := db.Retry(ctx, func(ctx context.Context) error {
		return s.db.WithContext(ctx).Create(u).Error
	})
	if db.IsUniqueViolation(err) {
		return fmt.Errorf("create user %q: %w", u.Username, ErrUsernameTaken)
	}
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.Username, err)
	}
	return nil
}

// userByKey returns the user whose lower-cased name is key, or an error
// wrapping ErrUserNotFound.
func (s *Store) userByKey(ctx context.Context, key string) (userRow, error) {
	var u userRow
	err := db.Retry(ctx, func(ctx context.Context) error {
		return s.db.WithContext(ctx).Where("username_key = ?", key).Take(&u).Error
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return userRow{}, ErrUserNotFound
	}
	if err != nil {
		return userRow{}, fmt.Errorf("load user: %w", err)
	}
	return u, nil
}

// userByID returns the user with id, or an error wrapping ErrUserNotFound.
func (s *Store) userByID(ctx context.Context, id int64) (userRow, error) {
	var u userRow
	err := db.Retry(ctx, func(ctx context.Context) error {
		return s.db.WithContext(ctx).Take(&u, id).Error
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return userRow{}, ErrUserNotFound
	}
	if err != nil {
		return userRow{}, fmt.Errorf("load user %d: %w", id, err)
	}
	return u, nil
}

// createToken stores t and drops the user's expired tokens, so the table
// holds live tokens plus at most one sign-in's worth of dead ones.
func (s *Store) createToken(ctx context.Context, t *tokenRow) error {
	err := db.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		if err := tx.Where("user_id = ? AND expires_at <= ?", t.UserID, t.CreatedAt).Delete(&tokenRow{}).Error; err != nil {
			return err
		}
		return tx.Create(t).Error
	})
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	return nil
}

// principal returns the owner of the live token with hash, or an error
// wrapping ErrUnauthenticated.
func (s *Store) principal(ctx context.Context, hash string, now time.Time) (Principal, error) {
	var row struct {
		TokenID  int64
		UserID   int64
		Username string
	}
	err := db.Retry(ctx, func(ctx context.Context) error {
		return s.db.WithContext(ctx).Table("auth_tokens t").
			Select("t.id AS token_id, u.id AS user_id, u.username").
			Joins("JOIN auth_users u ON u.id = t.user_id").
			Where("t.token_hash = ? AND t.expires_at > ?", hash, now).
			Take(&row).Error
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, fmt.Errorf("check token: %w", err)
	}
	return Principal{User: User{ID: row.UserID, Username: row.Username}, TokenID: row.TokenID}, nil
}

// deleteToken removes the token with id; removing it twice is no error.
func (s *Store) deleteToken(ctx context.Context, id int64) error {
	err := db.Retry(ctx, func(ctx context.Context) error {
		return s.db.WithContext(ctx).Delete(&tokenRow{}, id).Error
	})
	if err != nil {
		return fmt.Errorf("delete token %d: %w", id, err)
	}
	return nil
}
