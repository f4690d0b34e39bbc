// Package db opens GORM connections to MySQL/MariaDB or an embedded SQLite
// file, keeps named connections in a Registry, applies versioned migrations,
// and offers the helpers modules share: transactions and batch writes with
// retry of transient errors, and classification of driver errors.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/glebarez/sqlite"
	gomysql "github.com/go-sql-driver/mysql"
	"github.com/rs/zerolog"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"

	"gomicro/app/config"
)

// Open connects to the database cfg describes, sizes its pool and checks
// that it answers. Statements log through the zerolog logger of their ctx;
// ctx's own logger is the fallback for statements whose ctx has none. The
// error names the config key at fault and never contains the password.
func Open(ctx context.Context, cfg config.Database) (*gorm.DB, error) {
	gdb, _, err := open(ctx, cfg)
	return gdb, err
}

func open(ctx context.Context, cfg config.Database) (*gorm.DB, *queryLogger, error) {
	source, err := dsn(cfg)
	if err != nil {
		return nil, nil, err
	}
	var dialector gorm.Dialector
	if cfg.Driver == "mysql" {
		dialector, err = mysqlDialector(ctx, source)
		if err != nil {
			return nil, nil, err
		}
	} else {
		dialector = sqlite.Open(source)
	}
	ql := newQueryLogger(zerolog.Ctx(ctx), cfg.SlowThreshold, cfg.HideValues)
	gdb, err := gorm.Open(dialector, &gorm.Config{
		Logger: ql,
		// Single statements are atomic already; GORM's implicit
		// transaction around each write costs two round trips.
		SkipDefaultTransaction: true,
		// Millisecond UTC timestamps read back exactly as written on
		// both drivers (MySQL's datetime(3) keeps milliseconds).
		NowFunc: func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) },
	})
	if err != nil {
		return nil, nil, fmt.Errorf("open %s database: %w", cfg.Driver, err)
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, nil, fmt.Errorf("open %s database: %w", cfg.Driver, err)
	}
	tune(gdb, cfg)
	if err := sqlDB.PingContext(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, nil, fmt.Errorf("ping %s database: %w", cfg.Driver, err)
	}
	return gdb, ql, nil
}

// mysqlDialector opens the pool through a connector so that the driver's
// own messages (a dropped connection, say) go to our logger instead of the
// standard library's global one.
func mysqlDialector(ctx context.Context, source string) (gorm.Dialector, error) {
	mc, err := gomysql.ParseDSN(source)
	if err != nil {
		return nil, errors.New("database.dsn: not a valid mysql DSN")
	}
	mc.Logger = driverLogger{log: zerolog.Ctx(ctx)}
	if mc.Timeout == 0 {
		mc.Timeout = dialTimeout
	}
	connector, err := gomysql.NewConnector(mc)
	if err != nil {
		return nil, errors.New("database.dsn: not a valid mysql DSN")
	}
	pool := sql.OpenDB(connector)
	// GORM's dialector asks the server version without a context; a first
	// connection made here under ctx means a server that accepts but never
	// answers cannot hang the caller.
	if err := pool.PingContext(ctx); err != nil {
		_ = pool.Close()
		return nil, fmt.Errorf("ping mysql database: %w", err)
	}
	return mysql.New(mysql.Config{Conn: pool, DSNConfig: mc}), nil
}

// dialTimeout bounds a TCP connect to MySQL when the DSN sets no timeout.
const dialTimeout = 5 * time.Second

// driverLogger adapts zerolog to the MySQL driver's logger interface.
type driverLogger struct{ log *zerolog.Logger }

func (l driverLogger) Print(v ...any) {
	l.log.Warn().Str("component", "mysql").Msg(fmt.Sprint(v...))
}

// tune applies the pool settings; database/sql allows it at any time, which
// is what makes them reloadable.
func tune(gdb *gorm.DB, cfg config.Database) {
	sqlDB, err := gdb.DB()
	if err != nil {
		return
	}
	sqlDB.SetMaxOpenConns(cfg.MaxOpenConns)
	sqlDB.SetMaxIdleConns(cfg.MaxIdleConns)
	sqlDB.SetConnMaxLifetime(cfg.ConnMaxLifetime)
}

// Ping checks that gdb's database answers within ctx. It returns the
// driver's error, wrapped.
func Ping(ctx context.Context, gdb *gorm.DB) error {
	sqlDB, err := gdb.DB()
	if err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}
