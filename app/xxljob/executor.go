// Package xxljob is the XXL-JOB executor of cmd/job: it serves the five
// executor endpoints xxl-job-admin calls (/beat, /idleBeat, /run, /kill,
// /log), registers itself with the admin, runs tasks in one queue per job id
// with the admin's block strategies, writes one log file per run and
// delivers every run's result to the admin at least once, across restarts:
// a crash between the admin accepting a callback and its spool file being
// removed sends it again, which the admin ignores (it drops callbacks for a
// log that already has a result).
//
// It builds on github.com/xxl-job/xxl-job-executor-go: the wire types
// (RunReq, LogReq, LogRes, Registry, ExecuteResult), the result codes and the
// LogHandler contract are the library's. The library's executor value is not
// used because it cannot be stopped; see README for what replaces it and why.
package xxljob

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	xxl "github.com/xxl-job/xxl-job-executor-go"

	"gomicro/app/config"
	"gomicro/app/trace"
)

// Handler runs one trigger of a task. The string it returns becomes the
// callback's handleMsg; a non-nil error fails the run (handleCode 500 with
// the error text). It must return soon after ctx is cancelled: that is how
// timeout, /kill, COVER_EARLY and shutdown reach it. zerolog.Ctx(ctx) is the
// run's own logger, whose lines the admin UI shows.
type Handler func(ctx context.Context, req *xxl.RunReq) (string, error)

// TaskFunc adapts a task written for the library (xxl.TaskFunc) to a
// Handler. Such a task cannot report failure, so it fails only by panicking.
func TaskFunc(fn xxl.TaskFunc) Handler {
	return func(ctx context.Context, req *xxl.RunReq) (string, error) { return fn(ctx, req), nil }
}

// Options tune an Executor beyond its config section. Zero values take the
// production defaults; tests shrink the intervals instead of waiting.
type Options struct {
	// Port is the port actually listened on, advertised when xxl-job.address
	// is empty; 0 means xxl-job.port.
	Port int
	// Beat is the registry heartbeat interval (30 s, as the admin expects).
	Beat time.Duration
	// Retry is how long callbacks wait after no admin accepted them (Beat).
	Retry time.Duration
	// CleanEvery is how often old run-log dirs are removed (24 h).
	CleanEvery time.Duration
	// StopGrace is how long Stop lets running tasks finish before it cancels
	// them; half the rest of Stop's ctx deadline is left for them to return,
	// half for delivering callbacks.
	StopGrace time.Duration
	// Now is the clock for log dates and retention (time.Now).
	Now func() time.Time
	// Registry is the binary's Prometheus registry, holding its Go, process
	// and log series: the executor's series join it and /metrics serves it
	// whole. Nil gives the executor a registry of its own with Go and
	// process series (tests, several executors in one process).
	Registry *prometheus.Registry
	// Location names the day of log dirs (time.Local).
	Location *time.Location
	// Transport is the base round tripper towards the admin
	// (http.DefaultTransport); it is always wrapped in trace.Transport.
	Transport http.RoundTripper
	// LogPageLines caps the lines of one /log answer (1000), as 1 MiB caps
	// its bytes, for live and finished runs alike.
	LogPageLines int
}

func (o Options) withDefaults() Options {
	if o.Beat <= 0 {
		o.Beat = 30 * time.Second
	}
	if o.Retry <= 0 {
		o.Retry = o.Beat
	}
	if o.CleanEvery <= 0 {
		o.CleanEvery = 24 * time.Hour
	}
	if o.StopGrace <= 0 {
		o.StopGrace = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.LogPageLines <= 0 {
		o.LogPageLines = 1000
	}
	return o
}

// Executor is one XXL-JOB executor. Register tasks, mount Handler on an
// HTTP server, then Start; Stop shuts it down gracefully.
type Executor struct {
	cfg     config.XxlJob
	opts    Options
	address string // advertised registryValue, "http://host:port/"
	admin   *adminClient
	logs    *runLogs
	records *runRecords
	sender  *sender
	metrics *metrics

	mu       sync.Mutex
	handlers map[string]Handler
	workers  map[int64]*worker
	active   map[*run]struct{}
	seen     *logIDSet
	reserved map[int64]struct{} // log ids of triggers being recorded
	started  bool
	stopping bool
	base     context.Context // parent of every run, detached from Start's cancel
	cancel   context.CancelFunc
	runs     *runGroup      // worker goroutines
	loops    sync.WaitGroup // registry and retention loops
}

// New builds an Executor from the xxl-job config section. Errors wrap
// config.ErrInvalid for bad settings (admin URLs, app name, log path, an
// address that cannot be advertised).
func New(cfg config.XxlJob, opts Options) (*Executor, error) {
	opts = opts.withDefaults()
	admins, err := parseAdmins(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.AppName == "" {
		return nil, fmt.Errorf("%w: xxl-job.app_name: must not be empty", config.ErrInvalid)
	}
	if cfg.LogPath == "" {
		return nil, fmt.Errorf("%w: xxl-job.log_path: must not be empty", config.ErrInvalid)
	}
	port := opts.Port
	if port == 0 {
		port = cfg.Port
	}
	addr, err := advertise(cfg.Address, port, len(admins) > 0)
	if err != nil {
		return nil, err
	}
	admin := &adminClient{
		urls:  admins,
		token: cfg.AccessToken,
		http:  &http.Client{Transport: &trace.Transport{Base: opts.Transport}, Timeout: 5 * time.Second},
	}
	m, err := newMetrics(opts.Registry)
	if err != nil {
		return nil, err
	}
	records := newRunRecords(cfg.LogPath)
	return &Executor{
		cfg:      cfg,
		opts:     opts,
		address:  addr,
		admin:    admin,
		logs:     newRunLogs(cfg.LogPath, opts.Location, opts.Now, opts.LogPageLines),
		records:  records,
		sender:   newSender(admin, callbackDir(cfg.LogPath), opts.Retry, m.pending, records.settle),
		metrics:  m,
		handlers: map[string]Handler{},
		workers:  map[int64]*worker{},
		active:   map[*run]struct{}{},
		seen:     newLogIDSet(dupWindow),
		reserved: map[int64]struct{}{},
		runs:     newRunGroup(),
	}, nil
}

// Register adds a task under the name the admin's job definitions use
// (executorHandler). It returns an error when the name is empty, taken, or
// the executor has already started.
func (e *Executor) Register(name string, h Handler) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.started:
		return fmt.Errorf("register task %q: executor already started", name)
	case name == "" || h == nil:
		return fmt.Errorf("register task %q: name and handler are required", name)
	case e.handlers[name] != nil:
		return fmt.Errorf("register task %q: already registered", name)
	}
	e.handlers[name] = h
	return nil
}

// Address returns the registryValue advertised to the admin.
func (e *Executor) Address() string { return e.address }

// Metrics returns the registry served on /metrics: Options.Registry, or
// the executor's own.
func (e *Executor) Metrics() *prometheus.Registry { return e.metrics.reg }
