package db

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/go-sql-driver/mysql"

	"gomicro/app/config"
)

// sqlitePragmas make the embedded file safe under concurrent requests: WAL
// lets readers run beside the writer, busy_timeout makes a writer wait for
// the lock instead of failing at once, and _txlock=immediate takes the write
// lock at BEGIN so two transactions never deadlock upgrading a read lock.
const sqlitePragmas = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"

// dsn returns the driver's data source name for cfg: cfg.DSN when set,
// otherwise one built from the parts. For sqlite it creates the directory of
// path so a fresh checkout starts without manual steps.
func dsn(cfg config.Database) (string, error) {
	switch cfg.Driver {
	case "mysql":
		if cfg.DSN != "" {
			return cfg.DSN, nil
		}
		return mysqlDSN(cfg)
	case "sqlite":
		if cfg.DSN != "" {
			return cfg.DSN, nil
		}
		if cfg.Path == "" {
			return "", fmt.Errorf("database.path: empty for driver sqlite")
		}
		if dir := filepath.Dir(cfg.Path); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return "", fmt.Errorf("database.path: %w", err)
			}
		}
		return "file:" + cfg.Path + "?" + sqlitePragmas, nil
	default:
		return "", fmt.Errorf("database.driver: %q is not sqlite or mysql", cfg.Driver)
	}
}

// mysqlDSN assembles user, password, host, port, name and params, checking
// the result with the driver's own parser so a bad params string is reported
// here rather than at the first query.
func mysqlDSN(cfg config.Database) (string, error) {
	mc := mysql.NewConfig()
	mc.User = cfg.User
	mc.Passwd = cfg.Password
	mc.Net = "tcp"
	host := cfg.Host
	if host == "" {
		host = "127.0.0.1"
	}
	port := cfg.Port
	if port == 0 {
		port = 3306
	}
	mc.Addr = net.JoinHostPort(host, strconv.Itoa(port))
	mc.DBName = cfg.Name
	s := mc.FormatDSN()
	if cfg.Params != "" {
		s += "?" + cfg.Params
	}
	if _, err := mysql.ParseDSN(s); err != nil {
		// The driver's message can quote the DSN, password included.
		return "", fmt.Errorf("database.params: not a valid mysql parameter list")
	}
	return s, nil
}
