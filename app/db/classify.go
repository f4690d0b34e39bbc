package db

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"

	gosqlite "github.com/glebarez/go-sqlite"
	"github.com/go-sql-driver/mysql"
	"gorm.io/gorm"
	sqlite3 "modernc.org/sqlite/lib"
)

// MySQL and MariaDB server error numbers that mean "try again": the
// statement lost a race or its connection, not that the data is wrong.
const (
	mysqlDeadlock     = 1213 // ER_LOCK_DEADLOCK: InnoDB rolled the transaction back
	mysqlLockWait     = 1205 // ER_LOCK_WAIT_TIMEOUT
	mysqlConnKilled   = 1927 // ER_CONNECTION_KILLED (MariaDB)
	mysqlServerGone   = 1053 // ER_SERVER_SHUTDOWN
	mysqlDuplicateKey = 1062 // ER_DUP_ENTRY
)

// IsUniqueViolation reports whether err, anywhere in its chain, is a unique
// or primary key violation from MySQL (1062) or SQLite.
func IsUniqueViolation(err error) bool {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == mysqlDuplicateKey
	}
	var se *gosqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsTransient reports whether err is worth retrying: a deadlock, a lock wait
// timeout, a lost or killed connection, or a busy/locked SQLite file. A
// constraint violation is never transient.
func IsTransient(err error) bool {
	if err == nil || IsUniqueViolation(err) {
		return false
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case mysqlDeadlock, mysqlLockWait, mysqlConnKilled, mysqlServerGone:
			return true
		}
		return false
	}
	var se *gosqlite.Error
	if errors.As(err, &se) {
		primary := se.Code() & 0xff
		return primary == sqlite3.SQLITE_BUSY || primary == sqlite3.SQLITE_LOCKED
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var ne *net.OpError
	return errors.As(err, &ne)
}
