package nacos

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/clients/config_client"
	"github.com/rs/zerolog"

	"gomicro/app/config"
)

// defaultContactEvery is how often a live Client asks Nacos for its dataId.
// One small query per 30 s is nothing to Nacos and bounds how long a lost
// connection or a lost push goes unnoticed.
const defaultContactEvery = 30 * time.Second

// Option adjusts a Client built by New.
type Option func(*Client)

// WithContactCheck sets how often the Client asks Nacos for the dataId
// while nothing else does (default 30 s). Each check that gets an answer
// proves Nacos reachable; content that differs from the config in force (a
// lost push) is applied. Once Nacos has not answered for the interval plus
// twice nacos.timeout_ms, Status and Probe report the config as degraded
// though it came from Nacos. Values of zero or less keep the default.
func WithContactCheck(every time.Duration) Option {
	return func(c *Client) {
		if every > 0 {
			c.contactEvery = every
		}
	}
}

// syncResult is what one fetch-and-apply did.
type syncResult struct {
	change config.Change
	err    error
}

// onChange is the SDK's listener. The SDK calls it on a new goroutine per
// change, so two calls, or a call and a Refresh, can overtake each other
// and an older version would win. So the content handed in is not applied
// here: the call only wakes the sync loop, which fetches the dataId and
// applies what Nacos holds now, one fetch at a time.
func (c *Client) onChange(_, _, _, _ string) {
	if c.ctx.Err() != nil {
		return
	}
	c.touch()
	select {
	case c.kick <- struct{}{}:
	default: // a sync is pending already and will fetch the newest
	}
}

// touch records an answer from Nacos.
func (c *Client) touch() { c.lastContact.Store(c.now().UnixNano()) }

// syncLoop is the only goroutine that fetches and applies remote content,
// so versions are applied in the order Nacos served them. It runs the first
// fetch at once, then one per push, per Refresh, and per contact check;
// while the config in force is not live or Nacos does not answer it retries
// with backoff instead. first is called after the first fetch.
func (c *Client) syncLoop(cl config_client.IConfigClient, first func()) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	retry := time.Second
	reachable := true
	var refusedMD5 string // content refused last; only a Refresh refuses it again
	for {
		var waiters []refreshReq
		var via string
		select {
		case <-c.ctx.Done():
			return
		case <-timer.C:
			via = "check"
			if !c.live.Load() {
				via = "start"
			}
		case <-c.kick:
			via = "push"
		case w := <-c.reqs:
			waiters, via = append(waiters, w), "refresh"
		}
		// One fetch answers everything that asked before it began.
	drain:
		for {
			select {
			case w := <-c.reqs:
				waiters = append(waiters, w)
			case <-c.kick:
			default:
				break drain
			}
		}

		// A fetch a Refresh asked for logs with the asker's logger, so the
		// lines (and any alert they raise) carry its trace id.
		actx := c.ctx
		if len(waiters) > 0 {
			actx = zerolog.Ctx(waiters[0].ctx).WithContext(c.ctx)
		}
		log := zerolog.Ctx(actx)
		content, err := c.fetch(actx, cl)
		var res syncResult
		switch {
		case err != nil:
			res.err = err
			ev := log.Debug()
			if reachable {
				ev = log.Warn()
			}
			ev.Err(err).Str("via", via).Msg("nacos fetch failed; config in force kept, retrying")
			reachable = false
		default:
			c.touch()
			if !reachable {
				log.Info().Str("via", via).Msg("nacos answers again")
			}
			reachable = true
			sum := md5Hex(content)
			// Unless a Refresh waits for the answer, apply only what differs
			// from the config in force, and do not repeat the refusal of
			// content refused last (the SDK's first sync, and every check,
			// would otherwise log it again).
			if len(waiters) == 0 && (sum == refusedMD5 || c.live.Load() && sum == c.store.Meta().MD5) {
				if sum != refusedMD5 {
					refusedMD5 = "" // back to good content: a new refusal of the old is news
				}
				log.Debug().Str("via", via).Str("md5", sum).Msg("nacos config unchanged")
				break
			}
			res.change, res.err = c.apply(actx, content, via)
			refusedMD5 = ""
			if errors.Is(res.err, ErrRefused) {
				refusedMD5 = sum
			}
		}
		first()
		for _, w := range waiters {
			w.reply <- res
		}

		next := c.contactEvery
		if err != nil {
			next = min(retry, c.contactEvery)
			retry = min(retry*2, maxRetryDelay)
		} else {
			retry = time.Second
		}
		timer.Reset(next)
	}
}

// refreshReq is a Refresh waiting for the sync loop's next fetch.
type refreshReq struct {
	ctx   context.Context // for its logger and trace id only
	reply chan syncResult
}

// Refresh fetches the dataId now and applies it as a push would be applied,
// returning what changed. It is what POST /nacos/refresh and the
// refresh_nacos_config_task job call. The fetch runs in the Client's sync
// loop, after any fetch already under way, so a Refresh never applies older
// content over a newer push. Errors: ErrDisabled when Nacos is off,
// ErrUnavailable when Nacos does not answer in time (or ctx ends first),
// ErrRefused (with the reason) when the content does not parse or validate.
func (c *Client) Refresh(ctx context.Context) (config.Change, error) {
	if !c.Enabled() {
		return config.Change{}, ErrDisabled
	}
	if c.sdkClient() == nil {
		return config.Change{}, fmt.Errorf("%w: client still connecting", ErrUnavailable)
	}
	// The loop may be in a fetch of its own; each is bounded by the timeout.
	t := time.NewTimer(2*c.timeout + time.Second)
	defer t.Stop()
	w := refreshReq{ctx: ctx, reply: make(chan syncResult, 1)}
	select {
	case c.reqs <- w:
	case <-ctx.Done():
		return config.Change{}, fmt.Errorf("%w: refresh: %w", ErrUnavailable, ctx.Err())
	case <-c.ctx.Done():
		return config.Change{}, fmt.Errorf("%w: refresh: client closed", ErrUnavailable)
	case <-t.C:
		return config.Change{}, fmt.Errorf("%w: refresh: sync busy for %s", ErrUnavailable, 2*c.timeout+time.Second)
	}
	select {
	case r := <-w.reply:
		return r.change, r.err
	case <-ctx.Done():
		return config.Change{}, fmt.Errorf("%w: refresh: %w", ErrUnavailable, ctx.Err())
	case <-c.ctx.Done():
		return config.Change{}, fmt.Errorf("%w: refresh: client closed", ErrUnavailable)
	case <-t.C:
		return config.Change{}, fmt.Errorf("%w: refresh: no result within %s", ErrUnavailable, 2*c.timeout+time.Second)
	}
}

// contact returns when Nacos last answered and whether that is too long ago
// for config from Nacos to count as live: the check interval plus two
// timeouts, so one check that fails or is slow does not flip it.
func (c *Client) contact() (time.Time, bool) {
	n := c.lastContact.Load()
	if n == 0 {
		return time.Time{}, c.live.Load()
	}
	last := time.Unix(0, n)
	return last, c.live.Load() && c.now().Sub(last) > c.contactEvery+2*c.timeout
}
