package wechat

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"

	"gomicro/app/config"
)

// AccountInput is what the admin API writes to a database account; nil
// fields of a change keep their value.
type AccountInput struct {
	Name              *string
	AppID             *string
	AppSecret         *string
	Token             *string
	EncodingAESKey    *string
	OldEncodingAESKey *string
	Welcome           *string
	Units             *[]string
	ForwardURL        *string
}

func (in AccountInput) apply(r *accountRow) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&r.Name, in.Name)
	set(&r.AppID, in.AppID)
	set(&r.AppSecret, in.AppSecret)
	set(&r.Token, in.Token)
	set(&r.EncodingAESKey, in.EncodingAESKey)
	set(&r.OldEncodingAESKey, in.OldEncodingAESKey)
	set(&r.Welcome, in.Welcome)
	set(&r.ForwardURL, in.ForwardURL)
	if in.Units != nil {
		r.Units = strings.Join(*in.Units, ",")
	}
}

// checkAccount refuses what config validation would refuse there: bad
// keys, units that are not optional units, forward without its URL.
func (s *Service) checkAccount(r *accountRow) error {
	// A client that sends back what it read would store the mask as the
	// secret and lose the real one.
	if r.Token == config.Mask || r.AppSecret == config.Mask {
		return ErrMaskedSecret
	}
	for _, k := range []string{r.EncodingAESKey, r.OldEncodingAESKey} {
		if k != "" && !config.ValidEncodingAESKey(k) {
			return ErrBadKey
		}
	}
	for _, name := range r.units() {
		if !slices.ContainsFunc(s.accounts.units, func(u *Unit) bool { return u.Name == name && !u.Common }) {
			return ErrUnknownUnit
		}
	}
	if slices.Contains(r.units(), "forward") && r.ForwardURL == "" {
		return ErrForwardURL
	}
	return nil
}

// accountView is an account as the admin API shows it: config's and the
// database's alike, secrets masked.
type accountView struct {
	row    accountRow
	source string
}

func configView(name string, a config.WeChatOAAccount) accountView {
	return accountView{source: SourceConfig, row: accountRow{
		Name: name, AppID: a.AppID, AppSecret: a.AppSecret, Token: a.Token,
		EncodingAESKey: a.EncodingAESKey, OldEncodingAESKey: a.OldEncodingAESKey,
		Welcome: a.Welcome, Units: strings.Join(a.Units, ","), ForwardURL: a.ForwardURL,
	}}
}

// listAccounts returns config's accounts and the database's, by name.
func (s *Service) listAccounts(ctx context.Context) ([]accountView, error) {
	rows, err := s.db.listAccounts(ctx)
	if err != nil {
		return nil, err
	}
	cfg := s.store.Current().WeChatOA.Accounts
	out := make([]accountView, 0, len(cfg)+len(rows))
	for name, a := range cfg {
		out = append(out, configView(name, a))
	}
	for _, r := range rows {
		if _, shadowed := cfg[r.Name]; !shadowed {
			out = append(out, accountView{row: r, source: SourceDatabase})
		}
	}
	slices.SortFunc(out, func(a, b accountView) int { return cmp.Compare(a.row.Name, b.row.Name) })
	return out, nil
}

// getAccount returns the account serving the name: config's first.
func (s *Service) getAccount(ctx context.Context, name string) (accountView, error) {
	if a, ok := s.store.Current().WeChatOA.Accounts[name]; ok {
		return configView(name, a), nil
	}
	r, err := s.db.getAccount(ctx, name)
	return accountView{row: r, source: SourceDatabase}, err
}

// createAccount stores a new database account. Errors: ErrConfigAccount
// when config has the name, ErrAccountExists, ErrBadKey, ErrUnknownUnit,
// ErrForwardURL.
func (s *Service) createAccount(ctx context.Context, in AccountInput) (accountView, error) {
	var r accountRow
	in.apply(&r)
	if _, ok := s.store.Current().WeChatOA.Accounts[r.Name]; ok {
		return accountView{}, ErrConfigAccount
	}
	if err := s.checkAccount(&r); err != nil {
		return accountView{}, err
	}
	if err := s.db.createAccount(ctx, &r); err != nil {
		return accountView{}, err
	}
	s.accounts.changed(ctx)
	return accountView{row: r, source: SourceDatabase}, nil
}

// updateAccount changes a database account; the name stays.
func (s *Service) updateAccount(ctx context.Context, name string, in AccountInput) (accountView, error) {
	if _, err := s.writable(ctx, name); err != nil {
		return accountView{}, err
	}
	in.Name = nil
	r, err := s.db.updateAccount(ctx, name, func(r *accountRow) error {
		in.apply(r)
		return s.checkAccount(r)
	})
	if err != nil {
		return accountView{}, err
	}
	s.accounts.changed(ctx)
	return accountView{row: r, source: SourceDatabase}, nil
}

func (s *Service) deleteAccount(ctx context.Context, name string) error {
	if _, err := s.writable(ctx, name); err != nil {
		return err
	}
	if err := s.db.deleteAccount(ctx, name); err != nil {
		return err
	}
	s.accounts.changed(ctx)
	return nil
}

// writable returns the database account called name. Errors:
// ErrConfigAccount when only config has it, ErrAccountNotFound, or the
// database's.
func (s *Service) writable(ctx context.Context, name string) (accountRow, error) {
	r, err := s.db.getAccount(ctx, name)
	if err == nil || !errors.Is(err, ErrAccountNotFound) {
		return r, err
	}
	if _, ok := s.store.Current().WeChatOA.Accounts[name]; ok {
		return accountRow{}, ErrConfigAccount
	}
	return accountRow{}, err
}
