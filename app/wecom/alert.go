package wecom

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"gomicro/app/config"
	"gomicro/app/trace"
)

// maxGroups bounds the distinct messages held in one window; events past it
// are counted, not kept, so a storm of unique messages cannot grow memory.
const maxGroups = 1000

// AlertInfo names where alerts come from.
type AlertInfo struct {
	Service string
	Env     string
	Host    string
}

// Alerter is a zerolog.Hook that turns error-level events into WeCom
// alerts. Events with the same level and message within a window are folded
// into one alert with a count; at most per_minute alerts go out in any
// minute and the rest are counted in the next one. Run only updates a map
// under a mutex, so an alert storm never slows the service.
type Alerter struct {
	client *Client
	ctx    context.Context
	robot  string
	window time.Duration
	info   AlertInfo
	clock  Clock

	mu         sync.Mutex
	groups     map[groupKey]*group
	order      []*group // in order of first occurrence
	overflow   int      // events not kept because of maxGroups
	suppressed int      // alerts not sent because of the rate limit
	limit      *window  // touched only by the loop goroutine

	wake    chan struct{}
	once    sync.Once
	closing chan struct{}
	done    chan struct{}
}

type groupKey struct {
	level zerolog.Level
	msg   string
}

type group struct {
	level       zerolog.Level
	msg         string
	traceID     string
	count       int
	first, last time.Time
}

// NewAlerter starts an Alerter sending to cfg.Robot through client. ctx
// carries the logger of the Alerter's own work; it should be a logger
// without the hook, so that failures to alert do not alert. clock nil means
// the real clock. The error wraps ErrUnknownRobot when the robot is not
// configured.
func NewAlerter(ctx context.Context, client *Client, cfg config.Alert, info AlertInfo, clock Clock) (*Alerter, error) {
	if _, ok := client.cur.Load().robot(cfg.Robot); !ok {
		return nil, fmt.Errorf("wechat.alert.robot: %w: %q", ErrUnknownRobot, cfg.Robot)
	}
	if clock == nil {
		clock = realClock{}
	}
	a := &Alerter{
		client:  client,
		ctx:     ctx,
		robot:   cfg.Robot,
		window:  cfg.Window,
		info:    info,
		clock:   clock,
		groups:  map[groupKey]*group{},
		limit:   newWindow(max(cfg.PerMinute, 1), time.Minute),
		wake:    make(chan struct{}, 1),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
	}
	if a.window <= 0 {
		a.window = time.Minute
	}
	if cfg.PerMinute <= 0 {
		a.limit = newWindow(10, time.Minute)
	}
	go a.loop()
	return a, nil
}

// Run implements zerolog.Hook. It keeps error, fatal and panic events,
// except the client's own "wecom ..." lines, which could otherwise loop.
// The trace id comes from the event's ctx (zerolog's Event.Ctx or
// Context.Ctx).
func (a *Alerter) Run(e *zerolog.Event, level zerolog.Level, msg string) {
	if level < zerolog.ErrorLevel || level == zerolog.NoLevel || level == zerolog.Disabled || strings.HasPrefix(msg, "wecom ") {
		return
	}
	var traceID string
	if ctx := e.GetCtx(); ctx != nil {
		traceID = trace.FromContext(ctx)
	}
	now := a.clock.Now()
	key := groupKey{level, msg}
	a.mu.Lock()
	defer a.mu.Unlock()
	if g := a.groups[key]; g != nil {
		g.count++
		g.last = now
		if g.traceID == "" {
			g.traceID = traceID
		}
		return
	}
	if len(a.groups) >= maxGroups {
		a.overflow++
		return
	}
	g := &group{level: level, msg: msg, traceID: traceID, count: 1, first: now, last: now}
	a.groups[key] = g
	a.order = append(a.order, g)
	if len(a.order) == 1 {
		select {
		case a.wake <- struct{}{}:
		default:
		}
	}
}

// loop sends each group once its window has passed since its first event.
func (a *Alerter) loop() {
	defer close(a.done)
	for {
		var timer <-chan time.Time
		if due, ok := a.nextDue(); ok {
			timer = a.clock.After(due.Sub(a.clock.Now()))
		}
		select {
		case <-a.wake:
		case <-timer:
			a.flush(false)
		case <-a.closing:
			a.flush(true)
			return
		}
	}
}

func (a *Alerter) nextDue() (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.order) == 0 {
		return time.Time{}, false
	}
	return a.order[0].first.Add(a.window), true
}

// flush sends the groups whose window has passed, or all with everything.
func (a *Alerter) flush(everything bool) {
	now := a.clock.Now()
	a.mu.Lock()
	var due []*group
	for len(a.order) > 0 && (everything || !now.Before(a.order[0].first.Add(a.window))) {
		g := a.order[0]
		a.order = a.order[1:]
		delete(a.groups, groupKey{g.level, g.msg})
		due = append(due, g)
	}
	overflow := a.overflow
	a.overflow = 0
	a.mu.Unlock()
	for i, g := range due {
		if a.limit.wait(now) > 0 {
			a.suppressed += len(due) - i
			zerolog.Ctx(a.ctx).Warn().Int("alerts", len(due)-i).Msg("wecom alerts suppressed by rate limit")
			break
		}
		a.limit.record(now)
		a.send(g, overflow)
		overflow = 0
	}
}

func (a *Alerter) send(g *group, overflow int) {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** %s\n", Critical.Decorate(strings.ToUpper(g.level.String())), g.msg)
	fmt.Fprintf(&b, "> service: %s\n> env: %s\n> host: %s\n", a.info.Service, a.info.Env, a.info.Host)
	fmt.Fprintf(&b, "> count: %d (window %s)\n", g.count, a.window)
	fmt.Fprintf(&b, "> first: %s, last: %s\n", g.first.Format(time.DateTime), g.last.Format(time.DateTime))
	if g.traceID != "" {
		fmt.Fprintf(&b, "> trace_id: %s\n", g.traceID)
	}
	if a.suppressed > 0 {
		fmt.Fprintf(&b, "> earlier alerts suppressed by rate limit: %d\n", a.suppressed)
		a.suppressed = 0
	}
	if overflow > 0 {
		fmt.Fprintf(&b, "> other distinct errors not shown: %d\n", overflow)
	}
	ctx := a.ctx
	if g.traceID != "" {
		// The alert's own log lines and request carry the first event's id.
		l := zerolog.Ctx(ctx).With().Str("trace_id", g.traceID).Logger()
		ctx = l.WithContext(trace.NewContext(ctx, g.traceID))
	}
	if err := a.client.Send(ctx, a.robot, Markdown{Content: b.String()}); err != nil {
		// A full queue or a closed client has logged it already; an unknown
		// robot (removed by a reload) has not. The "wecom " prefix keeps
		// this line out of the alerts.
		zerolog.Ctx(ctx).Error().Err(err).Str("alert", b.String()).Msg("wecom alert not sent")
	}
}

// Close queues what is pending now without waiting for its window (the
// rate limit still applies) and stops the Alerter; call it before the
// client's Close. It returns ctx's error if that does not finish in time.
func (a *Alerter) Close(ctx context.Context) error {
	a.once.Do(func() { close(a.closing) })
	select {
	case <-a.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wecom alerts flush: %w", ctx.Err())
	}
}
