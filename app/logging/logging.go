// Package logging builds the service's zerolog logger: console or JSON on
// stdout, JSON lines in dated files, a level that can change at runtime, and
// writes that never wait on disk. Code logs through zerolog.Ctx(ctx), which
// carries the trace id put there by the trace middleware or a job run.
package logging

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"gomicro/app/config"
)

// Options configure New beyond the log section of the config.
type Options struct {
	Env    string    // test selects console output when Log.Format is empty
	Stdout io.Writer // where the console/JSON stream goes; nil means none
	Now    func() time.Time
}

// Logging owns the root logger and the writers behind it.
type Logging struct {
	root  zerolog.Logger
	level *atomic.Int32
	async io.Closer
	file  *DailyFile
	Drops *atomic.Int64 // lines dropped because the writer fell behind
}

// TimeFormat is the timestamp layout of every log line (milliseconds, with
// the zone offset, so lines from several hosts sort and compare).
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

var timeFormatOnce sync.Once

// lineBytes is the average line size log.buffer_size is counted in.
const lineBytes = 512

// New builds the root logger from cfg. The error names the log dir when it
// cannot be created.
func New(cfg config.Log, opts Options) (*Logging, error) {
	lvl, err := zerolog.ParseLevel(cfg.Level)
	if err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	// zerolog reads its timestamp layout from a package variable; it is set
	// once, to the same value, by every logger this package builds.
	timeFormatOnce.Do(func() { zerolog.TimeFieldFormat = TimeFormat })
	l := &Logging{level: new(atomic.Int32), Drops: new(atomic.Int64)}
	l.level.Store(int32(lvl))

	var outs []io.Writer
	if opts.Stdout != nil {
		stdout := struct{ io.Writer }{opts.Stdout} // hide Close: stdout is not ours
		if cfg.Format == "console" || (cfg.Format == "" && opts.Env == "test") {
			outs = append(outs, perLine{zerolog.ConsoleWriter{Out: stdout, TimeFormat: "2006-01-02 15:04:05.000"}})
		} else {
			outs = append(outs, stdout)
		}
	}
	if cfg.Dir != "" {
		f, err := NewDailyFile(cfg.Dir, cfg.FilePrefix, cfg.RetentionDays, opts.Now)
		if err != nil {
			return nil, err
		}
		l.file = f
		outs = append(outs, f)
	}
	// A request hands its line over and goes on; one goroutine formats the
	// console view and writes the file.
	d := newAsyncWriter(zerolog.MultiLevelWriter(outs...), max(cfg.BufferSize, 16)*lineBytes, l.Drops)
	l.async = d
	w := levelFilter{level: l.level, next: d}
	l.root = zerolog.New(w).With().Timestamp().Logger()
	return l, nil
}

// Logger returns the root logger.
func (l *Logging) Logger() zerolog.Logger { return l.root }

// SetLevel changes the level of every logger derived from the root, at once.
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

// Close flushes buffered lines and closes the log file.
func (l *Logging) Close() error {
	err := l.async.Close()
	if l.file != nil {
		err = errors.Join(err, l.file.Close())
	}
	return err
}

// perLine hands a batch to w one line at a time: lines reach the writers
// in batches, and zerolog's ConsoleWriter decodes only the first JSON value
// of each write.
type perLine struct{ w io.Writer }

func (p perLine) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			i = len(b) - 1
		}
		if _, err := p.w.Write(b[:i+1]); err != nil {
			return n - len(b), err
		}
		b = b[i+1:]
	}
	return n, nil
}

// levelFilter drops lines below the runtime level. Loggers copied into
// request contexts keep pointing at the same atomic, so a reload reaches them.
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
