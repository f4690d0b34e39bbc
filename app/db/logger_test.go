package db_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"gomicro/app/config"
	"gomicro/app/db"
	"gomicro/app/db/dbtest"
	"gomicro/app/trace"
)

// lines decodes the JSON log lines whose message is one of msgs.
func lines(t *testing.T, raw string, msgs ...string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(raw), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		for _, msg := range msgs {
			if m["message"] == msg {
				out = append(out, m)
			}
		}
	}
	return out
}

func TestQueryLog(t *testing.T) {
	tests := []struct {
		name      string
		hide      bool
		slow      time.Duration
		wantValue bool
		wantLevel string
	}{
		{"values shown", false, 0, true, "debug"},
		{"values hidden", true, 0, false, "debug"},
		{"slow at warn", false, time.Nanosecond, true, "warn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, logs := logContext(t)
			cfg := dbtest.SQLite(t)
			cfg.HideValues, cfg.SlowThreshold = tt.hide, tt.slow
			gdb := open(t, ctx, cfg)
			widgets(t, ctx, gdb)
			qctx := zerolog.Ctx(ctx).With().Str("trace_id", "trace-42").Logger().WithContext(ctx)
			if err := gdb.WithContext(qctx).Create(&widget{Code: "secret-code", Qty: 3}).Error; err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			for _, l := range lines(t, logs.String(), "sql", "slow sql") {
				if strings.Contains(l["sql"].(string), "INSERT INTO `widgets`") {
					got = l
				}
			}
			if got == nil {
				t.Fatalf("no log line for the insert in %s", logs)
			}
			if has := strings.Contains(got["sql"].(string), "secret-code"); has != tt.wantValue {
				t.Errorf("sql %q shows the value: %v, want %v", got["sql"], has, tt.wantValue)
			}
			if got["level"] != tt.wantLevel || got["trace_id"] != "trace-42" || got["rows"] != 1.0 {
				t.Errorf("line = %v, want level %s, trace_id, rows 1", got, tt.wantLevel)
			}
			if _, ok := got["duration"].(float64); !ok {
				t.Errorf("line %v has no duration", got)
			}
		})
	}
}

// TestQueryLogWithoutContextLogger: a statement whose ctx carries only a
// trace id still logs, through the connection's logger, with that id.
func TestQueryLogWithoutContextLogger(t *testing.T) {
	ctx, logs := logContext(t)
	gdb := open(t, ctx, dbtest.SQLite(t))
	bare := trace.NewContext(context.Background(), "bare-trace")
	if err := gdb.WithContext(bare).Exec("SELECT 1").Error; err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range lines(t, logs.String(), "sql") {
		if l["sql"] == "SELECT 1" && l["trace_id"] == "bare-trace" {
			found = true
		}
	}
	if !found {
		t.Errorf("no SELECT 1 line with trace_id in %s", logs)
	}
}

func TestFailedStatementLogsAtError(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, cfg config.Database) {
		ctx, logs := logContext(t)
		gdb := open(t, ctx, cfg)
		if err := gdb.WithContext(ctx).Exec("SELECT * FROM no_such_table").Error; err == nil {
			t.Fatal("query on a missing table succeeded")
		}
		if got := lines(t, logs.String(), "sql failed"); len(got) != 1 || got[0]["level"] != "error" {
			t.Errorf("failure lines = %v, want one at error", got)
		}
		_ = db.Ping(ctx, gdb)
	})
}

func TestHiddenValuesStayOutOfErrorLines(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, cfg config.Database) {
		ctx, logs := logContext(t)
		cfg.HideValues = true
		gdb := open(t, ctx, cfg)
		widgets(t, ctx, gdb)
		for range 2 {
			_ = gdb.WithContext(ctx).Create(&widget{Code: "private@example.com"}).Error
		}
		if strings.Contains(logs.String(), "private@example.com") {
			t.Errorf("a hidden value reached the log: %s", logs)
		}
		if len(lines(t, logs.String(), "sql")) == 0 {
			t.Error("no sql lines logged")
		}
	})
}

// A store of secrets hides its statements' values with HideValues while
// database.hide_values is off; other statements keep theirs.
func TestHideValuesContext(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, cfg config.Database) {
		ctx, logs := logContext(t)
		cfg.HideValues = false
		gdb := open(t, ctx, cfg)
		widgets(t, ctx, gdb)
		for range 2 { // the second is a duplicate: its error line too
			_ = db.HideValues(gdb).WithContext(ctx).Create(&widget{Code: "secret@example.com"}).Error
		}
		_ = gdb.WithContext(ctx).Create(&widget{Code: "public@example.com"}).Error
		if strings.Contains(logs.String(), "secret@example.com") {
			t.Errorf("a value of a HideValues statement reached the log: %s", logs)
		}
		if !strings.Contains(logs.String(), "public@example.com") {
			t.Errorf("values of other statements are hidden too: %s", logs)
		}
	})
}
