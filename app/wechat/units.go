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
// walk, which then answers no reply and counts the message failed. A reply
// returned is never changed afterwards, so a unit may return a shared one.
//
// Quick promises that Handle never blocks: no I/O, no waiting, only work
// on the turn. With sessions in process, quick units run on the request's
// goroutine; the first unit that is not quick, and all after it, run on a
// goroutine of their own, bounded by reply_timeout (then answered late
// through the customer-service API). Leave it false when in doubt.
type Unit struct {
	Name   string
	Order  int
	Common bool
	Quick  bool
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

// steps runs r's units, the pinned one first, then the chain in order,
// from where the walk stands; with quickOnly it stops before the first unit
// that is not Quick. done reports that the walk is over: a unit replied or
// failed, or none is left.
func (s *Service) steps(ctx context.Context, r *run, quickOnly bool) (reply *Reply, unit string, err error, done bool) {
	for {
		u := r.nextUnit()
		if u == nil {
			return nil, "", nil, true
		}
		if quickOnly && !u.Quick {
			return nil, "", nil, false
		}
		r.advance()
		if reply, err := s.runUnit(ctx, &r.turn, u); reply != nil || err != nil {
			return reply, u.Name, err, true
		}
	}
}

// nextUnit is the unit the walk runs next, or nil at the end.
func (r *run) nextUnit() *Unit {
	if r.pinned != nil && !r.pinnedOK {
		return r.pinned
	}
	chain := r.acc.chain
	for r.next < len(chain) && chain[r.next] == r.pinned {
		r.next++
	}
	if r.next < len(chain) {
		return chain[r.next]
	}
	return nil
}

func (r *run) advance() {
	if r.pinned != nil && !r.pinnedOK {
		r.pinnedOK = true
		return
	}
	r.next++
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
