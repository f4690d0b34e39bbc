// Package logging builds the service's zerolog logger: console or JSON on
// stdout, JSON lines in dated files (one per binary, days in app.timezone),
// a level that can change at runtime, and writes that never wait on disk.
// Code logs through zerolog.Ctx(ctx), which carries the trace id put there
// by the trace middleware or a job run.
package logging

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"gomicro/app/config"
)

// Options say which binary is logging and where its streams go.
type Options struct {
	// Bin names the binary ("server", "job"). Every line carries it as the
	// bin field, and log files are named <bin>-YYYY-MM-DD.log unless
	// log.file_prefix is set, so two binaries sharing log.dir never share
	// a file.
	Bin string
	// Stdout is where the console/JSON stream goes; nil means none.
	Stdout io.Writer
	// Stderr is where a failing log output is reported, synchronously and
	// never through the failing writer; nil means Stdout.
	Stderr io.Writer
	// Environ is the process environment (os.Environ() form); NO_COLOR in
	// it turns console colours off.
	Environ []string
	// Now is the clock of line times and file days (time.Now).
	Now func() time.Time
}

// Logging owns the root logger and the writers behind it.
type Logging struct {
	root  zerolog.Logger
	level *atomic.Int32
	loc   *atomic.Pointer[time.Location]
	async *asyncWriter
	file  *DailyFile

	// report is the logger a failing output is reported through: the
	// root's fields and hooks, written synchronously to reportTo (Stderr).
	report         atomic.Pointer[zerolog.Logger]
	reportTo       io.Writer
	reportIsStdout bool

	// Drops counts lines dropped because the writer fell behind.
	Drops *atomic.Int64
	// WriteErrors counts lines an output (the file or stdout) failed to
	// take: a full disk, a removed directory, a closed pipe.
	WriteErrors *atomic.Int64
}

// TimeFormat is the timestamp layout of every log line (milliseconds, with
// the zone offset, so lines from several hosts sort and compare).
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

var timeFormatOnce sync.Once

// lineBytes is the average line size log.buffer_size is counted in.
const lineBytes = 512

// New builds the root logger from cfg's log section: its level, stdout
// format (console in env test unless log.format says otherwise), and dated
// files in log.dir whose days, like line times, follow app.timezone. The
// error names the bad key: an unknown level or zone, or a log dir or file
// that cannot be created.
func New(cfg *config.Config, opts Options) (*Logging, error) {
	lvl, err := zerolog.ParseLevel(cfg.Log.Level)
	if err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	loc, err := time.LoadLocation(cfg.App.Timezone)
	if err != nil {
		return nil, fmt.Errorf("app.timezone: %w", err)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	// zerolog reads its timestamp layout from a package variable; it is set
	// once, to the same value, by every logger this package builds.
	timeFormatOnce.Do(func() { zerolog.TimeFieldFormat = TimeFormat })
	l := &Logging{
		level:       new(atomic.Int32),
		loc:         new(atomic.Pointer[time.Location]),
		Drops:       new(atomic.Int64),
		WriteErrors: new(atomic.Int64),
	}
	l.level.Store(int32(lvl))
	l.loc.Store(loc)

	console := cfg.Log.Format == "console" || (cfg.Log.Format == "" && cfg.Env == "test")
	getenv := config.Getenv(opts.Environ)
	var sinks []*sink
	if opts.Stdout != nil {
		sinks = append(sinks, &sink{name: "stdout", w: streamWriter(opts.Stdout, console, getenv)})
	}
	if cfg.Log.Dir != "" {
		prefix := cfg.Log.FilePrefix
		if prefix == "" {
			prefix = opts.Bin
		}
		f, err := NewDailyFile(cfg.Log.Dir, prefix, cfg.Log.RetentionDays, opts.Now, loc)
		if err != nil {
			return nil, err
		}
		l.file = f
		sinks = append(sinks, &sink{name: "file", w: f, where: f.Name})
	}
	if opts.Stderr != nil {
		l.reportTo = streamWriter(opts.Stderr, console, getenv)
	} else if opts.Stdout != nil {
		l.reportTo, l.reportIsStdout = streamWriter(opts.Stdout, console, getenv), true
	}
	// A request hands its line over and goes on; one goroutine formats the
	// console view and writes the outputs.
	l.async = newAsyncWriter(sinks, max(cfg.Log.BufferSize, 16)*lineBytes, l.Drops, l.WriteErrors, l.reportOutput)
	w := levelFilter{level: l.level, next: l.async}
	c := zerolog.New(w).Sample(levelSampler{l.level}).Hook(clockHook{now: opts.Now, loc: l.loc, stamp: new(atomic.Pointer[stamp])}).With()
	if opts.Bin != "" {
		c = c.Str("bin", opts.Bin)
	}
	l.root = c.Logger()
	l.setReporter(l.root)
	return l, nil
}

// streamWriter is how lines reach a stream: as they are (JSON), or as
// console lines, coloured only on a terminal.
func streamWriter(w io.Writer, console bool, getenv func(string) string) io.Writer {
	color := console && useColor(w, getenv)
	w = struct{ io.Writer }{w} // hide Close: the stream is not ours
	if !console {
		return w
	}
	return newConsoleWriter(w, color)
}

// Logger returns the root logger.
func (l *Logging) Logger() zerolog.Logger { return l.root }

// SetLevel changes the level of every logger derived from the root, at once.
// The error names an unknown level; the level in force is then kept.
func (l *Logging) SetLevel(level string) error {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil {
		return fmt.Errorf("log.level: %w", err)
	}
	l.level.Store(int32(lvl))
	return nil
}

// Level returns the level in force.
func (l *Logging) Level() zerolog.Level { return zerolog.Level(l.level.Load()) }

// SetTimezone moves line times and the file day boundary to the named zone.
// The error names an unknown zone; the zone in force is then kept.
func (l *Logging) SetTimezone(name string) error {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return fmt.Errorf("app.timezone: %w", err)
	}
	l.loc.Store(loc)
	if l.file != nil {
		l.file.SetLocation(loc)
	}
	return nil
}

// Sync returns once every line logged before the call has been handed to
// the outputs (written or counted as a write error).
func (l *Logging) Sync() { l.async.Sync() }

// Close flushes buffered lines and closes the log file. Lines logged after
// Close are dropped and counted. The error is the file's close error.
func (l *Logging) Close() error {
	err := l.async.Close()
	if l.file != nil {
		err = errors.Join(err, l.file.Close())
	}
	return err
}

// levelSampler applies the runtime level. zerolog asks a logger's sampler
// before it builds an event, so a line below the level costs no formatting;
// loggers derived from the root (request and job loggers too) keep the
// sampler and so the same atomic, and a reload reaches all of them at once.
// Lines logged without a level (Logger.Log) always pass.
type levelSampler struct{ level *atomic.Int32 }

func (s levelSampler) Sample(l zerolog.Level) bool {
	return l >= zerolog.Level(s.level.Load()) || l == zerolog.NoLevel
}

// levelFilter applies the level again where lines are written, for the
// case sampling is switched off process-wide (zerolog.DisableSampling).
type levelFilter struct {
	level *atomic.Int32
	next  io.Writer
}

func (f levelFilter) Write(p []byte) (int, error) { return f.next.Write(p) }

func (f levelFilter) WriteLevel(l zerolog.Level, p []byte) (int, error) {
	if l < zerolog.Level(f.level.Load()) && l != zerolog.NoLevel {
		return len(p), nil
	}
	return f.next.Write(p)
}

// clockHook stamps each line with the time in the logging zone, the zone
// whose days name the files. (A batch goes to the file of the day it is
// written in, so a line from the last 50 ms before midnight can open the
// next day's file.)
type clockHook struct {
	now   func() time.Time
	loc   *atomic.Pointer[time.Location]
	stamp *atomic.Pointer[stamp]
}

// stamp is one second's time field, quoted, as TimeFormat lays it out;
// only the milliseconds differ within the second. Formatting the whole
// time for each line cost more than the rest of the access line.
type stamp struct {
	sec  int64
	loc  *time.Location
	text []byte // "2006-01-02T15:04:05.000Z07:00", with the quotes
}

// msAt is where the milliseconds sit in a stamp's text.
const msAt = len(`"2006-01-02T15:04:05.`)

func (h clockHook) Run(e *zerolog.Event, _ zerolog.Level, _ string) {
	t, loc := h.now(), h.loc.Load()
	s := h.stamp.Load()
	if s == nil || s.sec != t.Unix() || s.loc != loc {
		text := append(t.In(loc).Truncate(time.Second).AppendFormat([]byte{'"'}, TimeFormat), '"')
		s = &stamp{sec: t.Unix(), loc: loc, text: text}
		h.stamp.Store(s)
	}
	var buf [48]byte
	b := append(buf[:0], s.text...)
	ms := t.Nanosecond() / int(time.Millisecond)
	b[msAt], b[msAt+1], b[msAt+2] = byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10)
	e.RawJSON(zerolog.TimestampFieldName, b)
}
