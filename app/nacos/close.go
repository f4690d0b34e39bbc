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
	// LastContact is when Nacos last answered; zero before it ever did.
	LastContact time.Time `json:"last_contact"`
	// Unreachable: the config came from Nacos but Nacos has not answered
	// for longer than the contact check allows, so it may be stale.
	Unreachable bool `json:"unreachable"`
}

// Degraded reports whether Nacos is on but the config in force did not come
// from it (a snapshot or local config while Nacos is unreachable), or came
// from it but Nacos has stopped answering.
func (s Status) Degraded() bool {
	return s.Enabled && (s.Source != config.SourceNacos || s.Unreachable)
}

// Status returns where the config in force came from and whether Nacos
// still answers.
func (c *Client) Status() Status {
	m := c.store.Meta()
	st := Status{Enabled: c.Enabled(), Source: m.Source, MD5: m.MD5, RefreshedAt: m.RefreshedAt}
	if st.Enabled {
		st.LastContact, st.Unreachable = c.contact()
	}
	return st
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
// snapshot or local, or came from Nacos that has since stopped answering
// (the service works, on possibly stale or default config). Its signature
// matches web.Check's Probe; register it as an optional check.
func (c *Client) Probe(context.Context) (string, error) {
	st := c.Status()
	if !st.Enabled {
		return "nacos off; local config", nil
	}
	detail := fmt.Sprintf("source=%s md5=%s refreshed_at=%s", st.Source, st.MD5, st.RefreshedAt.Format(time.RFC3339))
	if !st.LastContact.IsZero() {
		detail += " last_contact=" + st.LastContact.Format(time.RFC3339)
	}
	switch {
	case st.Unreachable:
		return detail, fmt.Errorf("%w since %s: serving the last config it sent", ErrUnavailable, st.LastContact.Format(time.RFC3339))
	case st.Degraded():
		return detail, fmt.Errorf("%w: serving %s config", ErrUnavailable, st.Source)
	}
	return detail, nil
}
