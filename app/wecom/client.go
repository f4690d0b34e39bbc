package wecom

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"gomicro/app/config"
	"gomicro/app/trace"
)

// DefaultRobot is the name of the default robot; "" means it too, as in the
// Python template.
const DefaultRobot = "DEFAULT"

// Options tune a Client beyond the wechat config section. Zero values take
// the defaults named on each field.
type Options struct {
	// Transport does the round trips under trace.Transport; nil means
	// http.DefaultTransport.
	Transport http.RoundTripper
	// Clock drives pacing and back-off; nil means the real clock.
	Clock Clock
	// PerMinute is the pacing limit per robot (20, WeCom's) in any Window
	// (61s: WeCom's minute plus a second for clock skew).
	PerMinute int
	Window    time.Duration
	// Attempts bounds the tries of one message (5).
	Attempts int
	// Backoff is the first wait after a network error, doubled each try up
	// to a minute (1s); RateLimitWait is the wait after errcode 45009
	// (Window).
	Backoff       time.Duration
	RateLimitWait time.Duration
}

func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.PerMinute <= 0 {
		o.PerMinute = 20
	}
	if o.Window <= 0 {
		o.Window = 61 * time.Second
	}
	if o.Attempts <= 0 {
		o.Attempts = 5
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.RateLimitWait <= 0 {
		o.RateLimitWait = o.Window
	}
	return o
}

// settings is what a config reload swaps in at once.
type settings struct {
	base      *url.URL
	robots    map[string]config.RobotTemplate
	queueSize int
	timeout   time.Duration
}

// Client sends to the robots of wechat.robot_templates. It is safe for
// concurrent use. Close flushes its queues.
type Client struct {
	ctx  context.Context // background work logs through this ctx's logger
	opts Options
	http *http.Client
	cur  atomic.Pointer[settings]

	mu      sync.Mutex
	closed  bool
	workers map[string]*worker
	wg      sync.WaitGroup
	closing chan struct{} // closed by Close: drain and stop
	stop    context.Context
	abort   context.CancelFunc // called when the Close deadline passes
	unsent  atomic.Int64
}

// New returns a Client for the robots in cfg. ctx carries the logger for
// background work and sends whose ctx has none; its cancellation does not
// stop the Client, Close does. The error wraps config.ErrInvalid when
// cfg.RobotBaseURL is not an absolute http(s) URL.
func New(ctx context.Context, cfg config.WeChat, opts Options) (*Client, error) {
	s, err := newSettings(cfg)
	if err != nil {
		return nil, err
	}
	stop, abort := context.WithCancel(context.WithoutCancel(ctx))
	c := &Client{
		ctx:     ctx,
		opts:    opts.withDefaults(),
		http:    trace.NewClient(opts.Transport),
		workers: map[string]*worker{},
		closing: make(chan struct{}),
		stop:    stop,
		abort:   abort,
	}
	c.cur.Store(s)
	return c, nil
}

func newSettings(cfg config.WeChat) (*settings, error) {
	raw := cfg.RobotBaseURL
	if raw == "" {
		raw = "https://qyapi.weixin.qq.com"
	}
	base, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("%w: wechat.robot_base_url %q: want an http(s) URL", config.ErrInvalid, redact(config.RedactURL(raw), ""))
	}
	s := &settings{base: base, robots: cfg.RobotTemplates, queueSize: cfg.QueueSize, timeout: cfg.Timeout}
	if s.queueSize <= 0 {
		s.queueSize = 100
	}
	if s.timeout <= 0 {
		s.timeout = 10 * time.Second
	}
	return s, nil
}

// Reload swaps in the robots, base URL and timeout of cfg: later sends,
// including retries of queued ones, use the new key and template. A queue
// keeps the size it was made with. The error wraps config.ErrInvalid and
// leaves the old settings in force.
func (c *Client) Reload(cfg config.WeChat) error {
	s, err := newSettings(cfg)
	if err != nil {
		return err
	}
	c.cur.Store(s)
	return nil
}

// Watch subscribes the client to store: an Apply that changes any wechat.*
// key reloads it (see Reload), so a rotated key or an edited template takes
// effect without a restart.
func (c *Client) Watch(store *config.Store) {
	store.Subscribe(func(ctx context.Context, ch config.Change) {
		for _, k := range ch.Keys {
			if strings.HasPrefix(k, "wechat.") {
				if err := c.Reload(ch.New.WeChat); err != nil {
					// Unreachable for a validated config; keep the old robots.
					zerolog.Ctx(ctx).Error().Err(err).Msg("wecom reload refused")
				}
				return
			}
		}
	})
}

// robot returns the config of name; "" and "DEFAULT" both mean the default
// robot, whichever of the two spellings the config uses.
func (s *settings) robot(name string) (config.RobotTemplate, bool) {
	if name == "" || strings.EqualFold(name, DefaultRobot) {
		if r, ok := s.robots[DefaultRobot]; ok {
			return r, true
		}
		r, ok := s.robots[""]
		return r, ok
	}
	r, ok := s.robots[name]
	return r, ok
}

// canonical names the queue of a robot, so "" and "DEFAULT" share one.
func canonical(name string) string {
	if name == "" || strings.EqualFold(name, DefaultRobot) {
		return DefaultRobot
	}
	return name
}

func (s *settings) endpoint(path, key string, extra url.Values) string {
	u := *s.base
	u.Path = strings.TrimRight(u.Path, "/") + path
	q := url.Values{"key": {key}}
	for k, v := range extra {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return u.String()
}
