package db

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"gomicro/app/config"
)

// Default is the name of the connection configured by the database section;
// the databases section adds others under their own names.
const Default = "default"

// ErrUnknown is returned by Registry.Get for a name no config section
// defines.
var ErrUnknown = errors.New("unknown database")

// Registry opens each configured connection on first use, once, and hands
// the same *gorm.DB to every later caller. It is safe for concurrent use.
type Registry struct {
	ctx   context.Context // carries the logger for statements without one
	mu    sync.Mutex      // guards cfgs and slots, never held while dialing
	cfgs  map[string]config.Database
	slots map[string]*slot
}

// slot holds one named connection; its own lock makes a slow dial block
// only the callers of that name.
type slot struct {
	mu   sync.Mutex
	conn *conn
}

type conn struct {
	gdb *gorm.DB
	log *queryLogger
}

// NewRegistry returns a Registry for the database section (as Default) and
// every entry of the databases section of cfg. It opens nothing yet. Named
// entries take unset pool, params and logging settings from the database
// section. It returns an error when a named entry is called "default".
func NewRegistry(ctx context.Context, cfg *config.Config) (*Registry, error) {
	cfgs, err := sections(cfg)
	if err != nil {
		return nil, err
	}
	return &Registry{ctx: ctx, cfgs: cfgs, slots: map[string]*slot{}}, nil
}

func sections(cfg *config.Config) (map[string]config.Database, error) {
	out := map[string]config.Database{Default: cfg.Database}
	for name, c := range cfg.Databases {
		if name == Default {
			return nil, fmt.Errorf("databases.%s: the name is reserved for the database section", name)
		}
		out[name] = inherit(c, cfg.Database)
	}
	return out, nil
}

// inherit fills the tuning fields a named section left unset from base, so
// one set of pool and logging defaults covers every connection.
func inherit(c, base config.Database) config.Database {
	if c.Params == "" && c.Driver == base.Driver {
		c.Params = base.Params
	}
	if c.MaxOpenConns == 0 {
		c.MaxOpenConns = base.MaxOpenConns
	}
	if c.MaxIdleConns == 0 {
		c.MaxIdleConns = base.MaxIdleConns
	}
	if c.ConnMaxLifetime == 0 {
		c.ConnMaxLifetime = base.ConnMaxLifetime
	}
	if c.SlowThreshold == 0 {
		c.SlowThreshold = base.SlowThreshold
	}
	c.HideValues = c.HideValues || base.HideValues
	return c
}

// Names returns the configured connection names, sorted.
func (r *Registry) Names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(maps.Keys(r.cfgs))
}

// Get returns the connection called name, opening it on first use. A failed
// open is not remembered: the next Get tries again. It returns an error
// wrapping ErrUnknown for an unconfigured name, or the open error.
func (r *Registry) Get(ctx context.Context, name string) (*gorm.DB, error) {
	r.mu.Lock()
	cfg, ok := r.cfgs[name]
	s := r.slots[name]
	if ok && s == nil {
		s = &slot{}
		r.slots[name] = s
	}
	r.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknown, name)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		return s.conn.gdb, nil
	}
	// The connection outlives this call: log with the registry's logger
	// but give up opening when the caller does.
	octx := zerolog.Ctx(r.ctx).WithContext(ctx)
	gdb, ql, err := open(octx, cfg)
	if err != nil {
		return nil, fmt.Errorf("database %q: %w", name, err)
	}
	s.conn = &conn{gdb: gdb, log: ql}
	return gdb, nil
}

// opened returns the connections open now, by name.
func (r *Registry) opened() map[string]*conn {
	r.mu.Lock()
	slots := maps.Clone(r.slots)
	r.mu.Unlock()
	out := map[string]*conn{}
	for name, s := range slots {
		s.mu.Lock()
		if s.conn != nil {
			out[name] = s.conn
		}
		s.mu.Unlock()
	}
	return out
}

// Default returns the connection of the database section; see Get.
func (r *Registry) Default(ctx context.Context) (*gorm.DB, error) { return r.Get(ctx, Default) }

// Ping opens the default connection if needed and pings it and every other
// connection opened so far. It returns the first failure, naming the
// connection.
func (r *Registry) Ping(ctx context.Context) error {
	if _, err := r.Default(ctx); err != nil {
		return err
	}
	open := r.opened()
	for _, name := range slices.Sorted(maps.Keys(open)) {
		if err := Ping(ctx, open[name].gdb); err != nil {
			return fmt.Errorf("database %q: %w", name, err)
		}
	}
	return nil
}

// Close closes every open connection; Get opens them anew afterwards. It
// returns the joined close errors.
func (r *Registry) Close() error {
	r.mu.Lock()
	slots := maps.Clone(r.slots)
	r.mu.Unlock()
	var errs []error
	for name, s := range slots {
		s.mu.Lock()
		if s.conn != nil {
			if sqlDB, err := s.conn.gdb.DB(); err == nil {
				if err := sqlDB.Close(); err != nil {
					errs = append(errs, fmt.Errorf("close database %q: %w", name, err))
				}
			}
			s.conn = nil
		}
		s.mu.Unlock()
	}
	return errors.Join(errs...)
}
