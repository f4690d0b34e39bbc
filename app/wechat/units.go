package wechat

import (
	"cmp"
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"time"

	"github.com/rs/zerolog"
)

// Unit is one step of an account's message chain. Units run in Order,
// lower first; the first to return a reply ends the walk. Common units run
// for every account; the others only for accounts listing Name in units.
// Handle returns (nil, nil) to pass the message on; an error ends the
// walk, which then answers no reply and counts the message failed.
type Unit struct {
	Name   string
	Order  int
	Common bool
	Handle func(ctx context.Context, t *Turn) (*Reply, error)
}

// Orders of the built-in units; a service's own units pick theirs around
// them.
const (
	OrderVoiceText = 10
	OrderWelcome   = 20
	OrderKeyword   = 30
	OrderForward   = 1000
)

// Turn is one message on its walk: the account it came to, the message
// (a unit may change it for the units after it, as voice_text does) and
// the user's session.
type Turn struct {
	Account *Account
	Message *Message
	Session *Session
	unit    string
}

// Pin makes the running unit the first to see this user's next messages,
// for a dialogue of several steps; it lasts as long as the session.
func (t *Turn) Pin() { t.Session.pin(t.unit) }

// Unpin ends what Pin began, whichever unit pinned.
func (t *Turn) Unpin() { t.Session.pin("") }

// unitList orders the built-in and a service's own units, dropping a
// unit whose name is taken or empty; the error names the ones dropped.
func unitList(builtin, own []Unit) ([]*Unit, error) {
	var out []*Unit
	var dropped []string
	for _, u := range append(slices.Clone(builtin), own...) {
		if u.Name == "" || u.Handle == nil || slices.ContainsFunc(out, func(o *Unit) bool { return o.Name == u.Name }) {
			dropped = append(dropped, fmt.Sprintf("%q", u.Name))
			continue
		}
		out = append(out, &u)
	}
	slices.SortStableFunc(out, func(a, b *Unit) int { return cmp.Compare(a.Order, b.Order) })
	if len(dropped) > 0 {
		return out, fmt.Errorf("wechat units dropped (empty, without Handle, or a name taken): %v", dropped)
	}
	return out, nil
}

// walk runs the turn's chain: the pinned unit first, then the others in
// order. It returns the reply (nil: none) and the unit that ended the walk.
func (s *Service) walk(ctx context.Context, t *Turn) (*Reply, string, error) {
	var pinned *Unit
	if name := t.Session.Pinned(); name != "" {
		if pinned = t.Account.unit(name); pinned == nil {
			t.Session.pin("") // the unit is gone from this account
		}
	}
	if pinned != nil {
		if r, err := s.runUnit(ctx, t, pinned); r != nil || err != nil {
			return r, pinned.Name, err
		}
	}
	for _, u := range t.Account.chain {
		if u == pinned {
			continue
		}
		if r, err := s.runUnit(ctx, t, u); r != nil || err != nil {
			return r, u.Name, err
		}
	}
	return nil, "", nil
}

// runUnit calls one unit, timing it and turning a panic into an error: the
// chain runs on its own goroutine, beyond the HTTP middleware's recovery.
func (s *Service) runUnit(ctx context.Context, t *Turn, u *Unit) (r *Reply, err error) {
	t.unit = u.Name
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			zerolog.Ctx(ctx).Error().Str("unit", u.Name).Str("panic", fmt.Sprint(p)).Bytes("stack", debug.Stack()).Msg("wechat unit panicked")
			r, err = nil, fmt.Errorf("unit %s panicked: %v", u.Name, p)
		}
		s.metrics.unitDuration(u.Name, time.Since(start))
	}()
	r, err = u.Handle(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("unit %s: %w", u.Name, err)
	}
	return r, nil
}
