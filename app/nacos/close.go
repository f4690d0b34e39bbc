package nacos

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gomicro/app/config"
)

// Status describes the config source for /readyz and /nacos/getConfig.
type Status struct {
	Enabled     bool      `json:"enabled"`
	Source      string    `json:"source"`
	MD5         string    `json:"md5"`
	RefreshedAt time.Time `json:"refreshed_at"`
}

// Degraded reports whether Nacos is on but the config in force did not come
// from it (a snapshot or local config while Nacos is unreachable).
func (s Status) Degraded() bool { return s.Enabled && s.Source != config.SourceNacos }

// Status returns where the config in force came from.
func (c *Client) Status() Status {
	m := c.store.Meta()
	return Status{Enabled: c.Enabled(), Source: m.Source, MD5: m.MD5, RefreshedAt: m.RefreshedAt}
}

// Close deregisters the instance, stops following changes and closes the
// SDK clients, waiting for its background work at most until ctx ends. It
// is safe to call more than once. The error reports a deregistration that
// failed or did not finish in time.
func (c *Client) Close(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	reg, cl := c.reg, c.sdk
	c.mu.Unlock()

	// Cancel first: a registration still connecting sees it and gives up
	// instead of registering after deregister has stopped waiting for it.
	// deregister does not need the context, it uses the naming client.
	c.cancel()
	var errs []error
	if reg != nil {
		errs = append(errs, reg.deregister(ctx))
	}
	if cl != nil {
		cl.CloseClient()
	}
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("close nacos client: %w", ctx.Err()))
	}
	return errors.Join(errs...)
}

// Probe reports the config source for /readyz: a short detail, and an error
// wrapping ErrUnavailable while Nacos is on but the config in force is a
// snapshot or local (the service works, on stale or default config). Its
// signature matches web.Check's Probe; register it as an optional check.
func (c *Client) Probe(context.Context) (string, error) {
	st := c.Status()
	if !st.Enabled {
		return "nacos off; local config", nil
	}
	detail := fmt.Sprintf("source=%s md5=%s refreshed_at=%s", st.Source, st.MD5, st.RefreshedAt.Format(time.RFC3339))
	if st.Degraded() {
		return detail, fmt.Errorf("%w: serving %s config", ErrUnavailable, st.Source)
	}
	return detail, nil
}
