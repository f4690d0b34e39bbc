package wechat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"gomicro/app/db"
)

// accountRow is one row of wechat_accounts.
type accountRow struct {
	ID                int64
	Name              string
	AppID             string
	AppSecret         string
	Token             string
	EncodingAESKey    string
	OldEncodingAESKey string
	Welcome           string
	Units             string // comma-separated
	ForwardURL        string
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

func (accountRow) TableName() string { return "wechat_accounts" }

// ruleRow is one row of wechat_rules.
type ruleRow struct {
	ID        int64
	AccountID int64
	MatchKind string
	Pattern   string
	Reply     string
	Priority  int
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (ruleRow) TableName() string { return "wechat_rules" }

func (r accountRow) units() []string {
	if r.Units == "" {
		return nil
	}
	return strings.Split(r.Units, ",")
}

func (r ruleRow) rule() Rule {
	return Rule{ID: r.ID, Match: r.MatchKind, Pattern: r.Pattern, Reply: r.Reply, Priority: r.Priority}
}

// Store reads and writes the database accounts and their rules, turning
// driver errors into the module's sentinels. Its statements are logged
// without their values: the rows hold the accounts' secrets.
type Store struct {
	db *gorm.DB
}

// NewStore returns a Store on gdb, whose schema Migrations has set up.
func NewStore(gdb *gorm.DB) *Store { return &Store{db: db.HideValues(gdb)} }

// loadAll reads every account with its rules, as the callback uses them.
func (s *Store) loadAll(ctx context.Context) ([]accountSpec, error) {
	var rows []accountRow
	var rules []ruleRow
	err := db.Retry(ctx, func(ctx context.Context) error {
		g := s.db.WithContext(ctx)
		if err := g.Order("id").Find(&rows).Error; err != nil {
			return err
		}
		return g.Order("id").Find(&rules).Error
	})
	if err != nil {
		return nil, err
	}
	byAccount := map[int64][]Rule{}
	for _, r := range rules {
		byAccount[r.AccountID] = append(byAccount[r.AccountID], r.rule())
	}
	specs := make([]accountSpec, len(rows))
	for i, r := range rows {
		specs[i] = accountSpec{
			Name: r.Name, Source: SourceDatabase, AppID: r.AppID, AppSecret: r.AppSecret, Token: r.Token,
			EncodingAESKey: r.EncodingAESKey, OldEncodingAESKey: r.OldEncodingAESKey,
			Welcome: r.Welcome, ForwardURL: r.ForwardURL, Units: r.units(), Rules: byAccount[r.ID],
		}
	}
	return specs, nil
}

func (s *Store) listAccounts(ctx context.Context) ([]accountRow, error) {
	var rows []accountRow
	err := db.Retry(ctx, func(ctx context.Context) error {
		return s.db.WithContext(ctx).Order("name").Find(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("list wechat accounts: %w", mapErr(err, ErrAccountNotFound, ErrAccountExists))
	}
	return rows, nil
}

func (s *Store) getAccount(ctx context.Context, name string) (accountRow, error) {
	var row accountRow
	err := db.Retry(ctx, func(ctx context.Context) error {
		return s.db.WithContext(ctx).Where("name = ?", name).Take(&row).Error
	})
	if err != nil {
		return accountRow{}, fmt.Errorf("get wechat account %q: %w", name, mapErr(err, ErrAccountNotFound, ErrAccountExists))
	}
	return row, nil
}

func (s *Store) createAccount(ctx context.Context, row *accountRow) error {
	err := db.Retry(ctx, func(ctx context.Context) error {
		return s.db.WithContext(ctx).Create(row).Error
	})
	if err != nil {
		return fmt.Errorf("create wechat account %q: %w", row.Name, mapErr(err, ErrAccountNotFound, ErrAccountExists))
	}
	return nil
}

// updateAccount applies change to the named row in one transaction.
func (s *Store) updateAccount(ctx context.Context, name string, change func(*accountRow) error) (accountRow, error) {
	var out accountRow
	err := db.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		if err := tx.Where("name = ?", name).Take(&out).Error; err != nil {
			return err
		}
		if err := change(&out); err != nil {
			return err
		}
		return tx.Save(&out).Error
	})
	if err != nil {
		return accountRow{}, fmt.Errorf("update wechat account %q: %w", name, mapErr(err, ErrAccountNotFound, ErrAccountExists))
	}
	return out, nil
}

// deleteAccount removes the account and its rules in one transaction.
func (s *Store) deleteAccount(ctx context.Context, name string) error {
	err := db.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		var row accountRow
		if err := tx.Where("name = ?", name).Take(&row).Error; err != nil {
			return err
		}
		if err := tx.Where("account_id = ?", row.ID).Delete(&ruleRow{}).Error; err != nil {
			return err
		}
		return tx.Delete(&row).Error
	})
	if err != nil {
		return fmt.Errorf("delete wechat account %q: %w", name, mapErr(err, ErrAccountNotFound, ErrAccountExists))
	}
	return nil
}

func (s *Store) listRules(ctx context.Context, accountID int64) ([]ruleRow, error) {
	var rows []ruleRow
	err := db.Retry(ctx, func(ctx context.Context) error {
		return s.db.WithContext(ctx).Where("account_id = ?", accountID).Order("id").Find(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("list wechat rules: %w", mapErr(err, ErrRuleNotFound, ErrAccountExists))
	}
	return rows, nil
}

func (s *Store) getRule(ctx context.Context, accountID, id int64) (ruleRow, error) {
	var row ruleRow
	err := db.Retry(ctx, func(ctx context.Context) error {
		return s.db.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, id).Take(&row).Error
	})
	if err != nil {
		return ruleRow{}, fmt.Errorf("get wechat rule %d: %w", id, mapErr(err, ErrRuleNotFound, ErrAccountExists))
	}
	return row, nil
}

func (s *Store) createRule(ctx context.Context, row *ruleRow) error {
	err := db.Retry(ctx, func(ctx context.Context) error {
		return s.db.WithContext(ctx).Create(row).Error
	})
	if err != nil {
		return fmt.Errorf("create wechat rule: %w", mapErr(err, ErrRuleNotFound, ErrAccountExists))
	}
	return nil
}

func (s *Store) updateRule(ctx context.Context, accountID, id int64, change func(*ruleRow) error) (ruleRow, error) {
	var out ruleRow
	err := db.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		if err := tx.Where("account_id = ? AND id = ?", accountID, id).Take(&out).Error; err != nil {
			return err
		}
		if err := change(&out); err != nil {
			return err
		}
		return tx.Save(&out).Error
	})
	if err != nil {
		return ruleRow{}, fmt.Errorf("update wechat rule %d: %w", id, mapErr(err, ErrRuleNotFound, ErrAccountExists))
	}
	return out, nil
}

func (s *Store) deleteRule(ctx context.Context, accountID, id int64) error {
	var rows int64
	err := db.Retry(ctx, func(ctx context.Context) error {
		res := s.db.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, id).Delete(&ruleRow{})
		rows = res.RowsAffected
		return res.Error
	})
	if err == nil && rows == 0 {
		err = gorm.ErrRecordNotFound
	}
	if err != nil {
		return fmt.Errorf("delete wechat rule %d: %w", id, mapErr(err, ErrRuleNotFound, ErrAccountExists))
	}
	return nil
}

// mapErr turns "no row" into notFound and a unique violation into
// conflict; any other error, an internal one, stays as it is.
func mapErr(err, notFound, conflict error) error {
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return notFound
	case db.IsUniqueViolation(err):
		return fmt.Errorf("%w: %w", conflict, err)
	default:
		return err
	}
}
