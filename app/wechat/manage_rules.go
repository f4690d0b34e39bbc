package wechat

import (
	"context"
	"regexp"
)

// RuleInput is what the admin API writes to a rule; nil fields of a change
// keep their value.
type RuleInput struct {
	Match    *string
	Pattern  *string
	Reply    *string
	Priority *int
}

func (in RuleInput) apply(r *ruleRow) error {
	if in.Match != nil {
		r.MatchKind = *in.Match
	}
	if in.Pattern != nil {
		r.Pattern = *in.Pattern
	}
	if in.Reply != nil {
		r.Reply = *in.Reply
	}
	if in.Priority != nil {
		r.Priority = *in.Priority
	}
	if r.MatchKind == MatchRegex {
		if _, err := regexp.Compile(r.Pattern); err != nil {
			return ErrBadRegex
		}
	}
	return nil
}

// ruleView is a rule as the admin API shows it.
type ruleView struct {
	row    ruleRow
	source string
}

// listRules returns the rules of the account serving name: config's
// keywords (numbered from 1) or the database's rules.
func (s *Service) listRules(ctx context.Context, name string) ([]ruleView, error) {
	if a, ok := s.store.Current().WeChatOA.Accounts[name]; ok {
		out := make([]ruleView, len(a.Keywords))
		for i, k := range a.Keywords {
			out[i] = ruleView{source: SourceConfig, row: ruleRow{ID: int64(i + 1), MatchKind: k.Match, Pattern: k.Pattern, Reply: k.Reply, Priority: k.Priority}}
		}
		return out, nil
	}
	acc, err := s.db.getAccount(ctx, name)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.listRules(ctx, acc.ID)
	if err != nil {
		return nil, err
	}
	out := make([]ruleView, len(rows))
	for i, r := range rows {
		out[i] = ruleView{row: r, source: SourceDatabase}
	}
	return out, nil
}

func (s *Service) getRule(ctx context.Context, name string, id int64) (ruleView, error) {
	rules, err := s.listRules(ctx, name)
	if err != nil {
		return ruleView{}, err
	}
	for _, r := range rules {
		if r.row.ID == id {
			return r, nil
		}
	}
	return ruleView{}, ErrRuleNotFound
}

func (s *Service) createRule(ctx context.Context, name string, in RuleInput) (ruleView, error) {
	acc, err := s.writable(ctx, name)
	if err != nil {
		return ruleView{}, err
	}
	r := ruleRow{AccountID: acc.ID}
	if err := in.apply(&r); err != nil {
		return ruleView{}, err
	}
	if err := s.db.createRule(ctx, &r); err != nil {
		return ruleView{}, err
	}
	s.accounts.changed(ctx)
	return ruleView{row: r, source: SourceDatabase}, nil
}

func (s *Service) updateRule(ctx context.Context, name string, id int64, in RuleInput) (ruleView, error) {
	acc, err := s.writable(ctx, name)
	if err != nil {
		return ruleView{}, err
	}
	r, err := s.db.updateRule(ctx, acc.ID, id, func(r *ruleRow) error { return in.apply(r) })
	if err != nil {
		return ruleView{}, err
	}
	s.accounts.changed(ctx)
	return ruleView{row: r, source: SourceDatabase}, nil
}

func (s *Service) deleteRule(ctx context.Context, name string, id int64) error {
	acc, err := s.writable(ctx, name)
	if err != nil {
		return err
	}
	if err := s.db.deleteRule(ctx, acc.ID, id); err != nil {
		return err
	}
	s.accounts.changed(ctx)
	return nil
}
