package wechat

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
)

// Where an account is defined.
const (
	SourceConfig   = "config"
	SourceDatabase = "database"
)

// Rule kinds of the keyword unit, from the most to the least exact.
const (
	MatchExact    = "exact"
	MatchPrefix   = "prefix"
	MatchContains = "contains"
	MatchRegex    = "regex"
)

// Account is one Official Account as a message sees it: settings resolved
// from config or the database, keys parsed, rules ordered, chain built.
// An Account is never changed once built; a change builds a new one.
type Account struct {
	Name       string
	Source     string
	AppID      string
	AppSecret  string
	Token      string
	Welcome    string
	Units      []string
	ForwardURL string
	Rules      []Rule

	keys  []*aesKey // current key, then the old one
	chain []*Unit
}

// Rule is one keyword rule.
type Rule struct {
	ID       int64
	Match    string
	Pattern  string
	Reply    string
	Priority int

	re    *regexp.Regexp
	reply *Reply // the text reply, built once
}

// matches reports whether the rule matches text (already trimmed).
func (r *Rule) matches(text string) bool {
	switch r.Match {
	case MatchExact:
		return text == r.Pattern
	case MatchPrefix:
		return strings.HasPrefix(text, r.Pattern)
	case MatchContains:
		return strings.Contains(text, r.Pattern)
	case MatchRegex:
		return r.re != nil && r.re.MatchString(text)
	}
	return false
}

// matchRank orders rule kinds of equal priority: fuzzy matching last.
func matchRank(match string) int {
	switch match {
	case MatchExact:
		return 0
	case MatchPrefix:
		return 1
	case MatchContains:
		return 2
	default:
		return 3
	}
}

// accountSpec is what an account is built from, whatever its source.
type accountSpec struct {
	Name, Source, AppID, AppSecret, Token string
	EncodingAESKey, OldEncodingAESKey     string
	Welcome, ForwardURL                   string
	Units                                 []string
	Rules                                 []Rule
}

// build parses keys and patterns, orders the rules (higher priority first;
// among equals the more exact kind, then the older rule) and picks the
// account's units from all. Keys and patterns were checked when the
// account was written; one that still fails to parse is left out and
// reported in problems.
func (s accountSpec) build(all []*Unit) (acc *Account, problems []string) {
	acc = &Account{
		Name: s.Name, Source: s.Source, AppID: s.AppID, AppSecret: s.AppSecret, Token: s.Token,
		Welcome: s.Welcome, Units: s.Units, ForwardURL: s.ForwardURL,
	}
	for _, k := range []string{s.EncodingAESKey, s.OldEncodingAESKey} {
		if k == "" {
			continue
		}
		key, err := parseKey(k)
		if err != nil {
			problems = append(problems, "an encoding_aes_key does not parse")
			continue
		}
		acc.keys = append(acc.keys, key)
	}
	for i, r := range s.Rules {
		if r.Match == MatchRegex {
			re, err := regexp.Compile(r.Pattern)
			if err != nil {
				problems = append(problems, "rule "+r.Pattern+": bad regex")
				continue
			}
			r.re = re
		}
		if r.ID == 0 {
			r.ID = int64(i + 1)
		}
		r.reply = Text(r.Reply)
		acc.Rules = append(acc.Rules, r)
	}
	slices.SortStableFunc(acc.Rules, func(a, b Rule) int {
		return cmp.Or(cmp.Compare(b.Priority, a.Priority), cmp.Compare(matchRank(a.Match), matchRank(b.Match)), cmp.Compare(a.ID, b.ID))
	})
	for _, u := range all {
		if u.Common || slices.Contains(s.Units, u.Name) {
			acc.chain = append(acc.chain, u)
		}
	}
	for _, name := range s.Units {
		if !slices.ContainsFunc(all, func(u *Unit) bool { return u.Name == name && !u.Common }) {
			problems = append(problems, "unit "+name+" is not an optional unit")
		}
	}
	return acc, problems
}

// unit returns the account's unit called name, or nil.
func (a *Account) unit(name string) *Unit {
	for _, u := range a.chain {
		if u.Name == name {
			return u
		}
	}
	return nil
}
