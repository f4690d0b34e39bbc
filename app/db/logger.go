package db

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/rs/zerolog"
	"gorm.io/gorm"
	gormlogger "gorm.io/gorm/logger"

	"gomicro/app/trace"
)

// queryLogger sends GORM's statements to the zerolog logger in the
// statement's ctx, which carries the request's trace_id. Ordinary statements
// log at debug, slow ones at warn, failures at error; settings can change
// while the connection is in use (a config reload).
type queryLogger struct {
	base *zerolog.Logger // for statements whose ctx carries no logger
	slow atomic.Int64    // slow threshold in ns; 0 turns slow logging off
	hide atomic.Bool     // log SQL with ? placeholders instead of values
}

func newQueryLogger(base *zerolog.Logger, slow time.Duration, hide bool) *queryLogger {
	l := &queryLogger{base: base}
	l.set(slow, hide)
	return l
}

func (l *queryLogger) set(slow time.Duration, hide bool) {
	l.slow.Store(int64(slow))
	l.hide.Store(hide)
}

// LogMode is part of GORM's logger interface; levels come from zerolog, so
// it returns the logger unchanged.
func (l *queryLogger) LogMode(gormlogger.LogLevel) gormlogger.Interface { return l }

// Info logs a GORM message at info.
func (l *queryLogger) Info(ctx context.Context, msg string, args ...any) {
	l.from(ctx).Info().Str("component", "gorm").Msg(fmt.Sprintf(msg, args...))
}

// Warn logs a GORM message at warn.
func (l *queryLogger) Warn(ctx context.Context, msg string, args ...any) {
	l.from(ctx).Warn().Str("component", "gorm").Msg(fmt.Sprintf(msg, args...))
}

// Error logs a GORM message at error.
func (l *queryLogger) Error(ctx context.Context, msg string, args ...any) {
	l.from(ctx).Error().Str("component", "gorm").Msg(fmt.Sprintf(msg, args...))
}

// Trace logs one statement with its duration and affected rows.
func (l *queryLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	log := l.from(ctx)
	elapsed := time.Since(begin)
	slow := time.Duration(l.slow.Load())
	var ev *zerolog.Event
	msg := "sql"
	switch {
	case err != nil && errors.Is(err, gorm.ErrRecordNotFound):
		ev = log.Debug()
	case err != nil && IsUniqueViolation(err):
		// A duplicate is an answer (409), not a fault of the service.
		ev = log.Info().Err(l.loggable(ctx, err))
	case err != nil:
		ev = log.Error().Err(l.loggable(ctx, err))
		msg = "sql failed"
	case slow > 0 && elapsed > slow:
		ev = log.Warn().Dur("slow_threshold", slow)
		msg = "slow sql"
	default:
		ev = log.Debug()
	}
	if ev == nil { // level disabled: skip building the SQL text
		return
	}
	sql, rows := fc()
	ev.Str("component", "gorm").Str("sql", sql).Dur("duration", elapsed).Int64("rows", rows).Msg(msg)
}

// ParamsFilter is called by GORM before it renders a statement for Trace;
// with hide_values on it drops the bound values so they never reach a log.
func (l *queryLogger) ParamsFilter(ctx context.Context, sql string, params ...any) (string, []any) {
	if l.hidden(ctx) {
		return sql, nil
	}
	return sql, params
}

type hideKey struct{}

// HideValues returns gdb with statements logged without their bound
// values, whatever database.hide_values says: for a store whose rows hold
// secrets (the log's level and database.hide_values are the operator's,
// the secrets are not). Sessions and transactions made from it keep this.
func HideValues(gdb *gorm.DB) *gorm.DB {
	ql, ok := gdb.Logger.(*queryLogger)
	if !ok { // not a connection of this package: log nothing rather than values
		return gdb.Session(&gorm.Session{Logger: gdb.Logger.LogMode(gormlogger.Silent)})
	}
	return gdb.Session(&gorm.Session{Logger: hidingLogger{ql}})
}

// hidingLogger is the connection's logger (its level, slow threshold and
// reloads) with every statement's values hidden.
type hidingLogger struct{ *queryLogger }

func (h hidingLogger) LogMode(gormlogger.LogLevel) gormlogger.Interface { return h }

func (h hidingLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	h.queryLogger.Trace(context.WithValue(ctx, hideKey{}, true), begin, fc, err)
}

func (h hidingLogger) ParamsFilter(ctx context.Context, sql string, params ...any) (string, []any) {
	return sql, nil
}

func (l *queryLogger) hidden(ctx context.Context) bool {
	if l.hide.Load() {
		return true
	}
	on, _ := ctx.Value(hideKey{}).(bool)
	return on
}

// from returns the logger of ctx, or the connection's own logger with ctx's
// trace id when a caller forgot to put a logger into ctx, so no statement is
// logged without its trace.
func (l *queryLogger) from(ctx context.Context) *zerolog.Logger {
	log := zerolog.Ctx(ctx)
	if log.GetLevel() != zerolog.Disabled || l.base == nil {
		return log
	}
	if id := trace.FromContext(ctx); id != "" {
		sub := l.base.With().Str("trace_id", id).Logger()
		return &sub
	}
	return l.base
}

// loggable returns err, or with values hidden, only the number of a MySQL
// error: its text quotes values ("Duplicate entry 'alice@example.com'").
func (l *queryLogger) loggable(ctx context.Context, err error) error {
	var me *mysql.MySQLError
	if l.hidden(ctx) && errors.As(err, &me) {
		return fmt.Errorf("mysql error %d (%s)", me.Number, string(me.SQLState[:]))
	}
	return err
}
