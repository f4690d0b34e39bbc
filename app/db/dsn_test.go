package db

import (
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"gomicro/app/config"
)

func TestMySQLDSNFromParts(t *testing.T) {
	got, err := dsn(config.Database{
		Driver: "mysql", User: "app", Password: "p@ss:w/rd", Host: "db.internal", Port: 3307,
		Name: "shop", Params: "charset=utf8mb4&parseTime=true",
	})
	if err != nil {
		t.Fatal(err)
	}
	mc, err := mysql.ParseDSN(got)
	if err != nil {
		t.Fatalf("built DSN %q does not parse: %v", got, err)
	}
	if mc.User != "app" || mc.Passwd != "p@ss:w/rd" || mc.Addr != "db.internal:3307" || mc.DBName != "shop" || !mc.ParseTime {
		t.Errorf("parsed back %+v", mc)
	}
}

func TestDSN(t *testing.T) {
	tests := []struct {
		name    string
		cfg     config.Database
		want    string // substring of the DSN
		wantErr string // substring of the error
	}{
		{"dsn wins over parts", config.Database{Driver: "mysql", DSN: "u@tcp(h:1)/d", Host: "other"}, "u@tcp(h:1)/d", ""},
		{"mysql defaults host and port", config.Database{Driver: "mysql", User: "u", Name: "d"}, "tcp(127.0.0.1:3306)/d", ""},
		{"bad params hide the password", config.Database{Driver: "mysql", Password: "hunter2", Params: "parseTime=maybe"}, "", "database.params"},
		{"sqlite file with pragmas", config.Database{Driver: "sqlite", Path: "x.db"}, "file:x.db?_pragma=busy_timeout", ""},
		{"sqlite needs a path", config.Database{Driver: "sqlite"}, "", "database.path"},
		{"unknown driver", config.Database{Driver: "oracle"}, "", "database.driver"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := dsn(tt.cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("err = %v, want one naming %s without the password", err, tt.wantErr)
				}
				return
			}
			if err != nil || !strings.Contains(got, tt.want) {
				t.Errorf("dsn = %q, %v; want it to contain %q", got, err, tt.want)
			}
		})
	}
}
