package config

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Source values say where the current config came from.
const (
	SourceLocal    = "local"
	SourceNacos    = "nacos"
	SourceSnapshot = "snapshot"
)

// Meta describes the current config: its source, the md5 of the remote
// content it was built from (empty for local) and when it was last refreshed.
type Meta struct {
	Source      string    `json:"source"`
	MD5         string    `json:"md5"`
	RefreshedAt time.Time `json:"refreshed_at"`
}

// Change tells subscribers what a reload changed.
type Change struct {
	Keys   []string
	OldMD5 string
	NewMD5 string
	Old    *Config
	New    *Config
}

type snapshot struct {
	cfg  *Config
	meta Meta
}

// Store holds the current Config and tells subscribers about changes.
// Readers call Current; nobody edits a Config in place.
type Store struct {
	cur  atomic.Pointer[snapshot]
	mu   sync.Mutex // serialises Apply so subscribers see changes in order
	subs []func(context.Context, Change)
}

// NewStore returns a Store holding cfg.
func NewStore(cfg *Config, meta Meta) *Store {
	s := &Store{}
	s.cur.Store(&snapshot{cfg: cfg, meta: meta})
	return s
}

// Current returns the config in force. It never returns nil.
func (s *Store) Current() *Config { return s.cur.Load().cfg }

// Meta returns the source, md5 and refresh time of the config in force.
func (s *Store) Meta() Meta { return s.cur.Load().meta }

// Subscribe registers fn to run after every Apply that changed a key, in
// order of registration. fn must not call Apply.
func (s *Store) Subscribe(fn func(context.Context, Change)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subs = append(s.subs, fn)
}

// Apply swaps in cfg with its meta and, when any key changed, tells the
// subscribers. It returns the change (Keys empty when nothing changed).
func (s *Store) Apply(ctx context.Context, cfg *Config, meta Meta) Change {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.cur.Swap(&snapshot{cfg: cfg, meta: meta})
	ch := Change{
		Keys:   Diff(old.cfg, cfg),
		OldMD5: old.meta.MD5,
		NewMD5: meta.MD5,
		Old:    old.cfg,
		New:    cfg,
	}
	if len(ch.Keys) > 0 {
		for _, fn := range s.subs {
			fn(ctx, ch)
		}
	}
	return ch
}

// Diff lists the config keys whose values differ between a and b, sorted.
func Diff(a, b *Config) []string {
	var keys []string
	for k, av := range a.flat {
		bv, ok := b.flat[k]
		if !ok || !sameValue(av, bv) {
			keys = append(keys, k)
		}
	}
	for k := range b.flat {
		if _, ok := a.flat[k]; !ok {
			keys = append(keys, k)
		}
	}
	if a.Env != b.Env {
		keys = append(keys, "env")
	}
	slices.Sort(keys)
	return keys
}

// sameValue compares loosely so that 8000 from YAML equals "8000" from env.
func sameValue(a, b any) bool {
	return reflect.DeepEqual(a, b) || fmt.Sprint(a) == fmt.Sprint(b)
}
