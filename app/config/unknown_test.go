package config_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gomicro/app/config"
)

// build loads file as the config file and builds it with remote on top;
// it returns the loader's or Build's error.
func build(t *testing.T, file, remote string) (*config.Config, error) {
	t.Helper()
	l, err := config.NewLoader(config.Selection{Path: writeFile(t, t.TempDir(), "c.yaml", file), Env: "test"}, nil)
	if err != nil {
		return nil, err
	}
	var raw []byte
	if remote != "" {
		raw = []byte(remote)
	}
	return l.Build(raw)
}

func TestUnknownKeyInOwnSectionIsInvalid(t *testing.T) {
	tests := []struct {
		name, file, remote string
		want               []string
		not                string // must not appear
	}{
		{name: "typo in file", file: "server: {prot: 8001}\n",
			want: []string{"c.yaml: server.prot: unknown key (did you mean server.port?)"}},
		{name: "typo in remote", file: "{}\n", remote: "log:\n  levle: debug\n",
			want: []string{"remote config: log.levle: unknown key (did you mean log.level?)"}, not: "c.yaml"},
		{name: "remote as json", file: "{}\n", remote: `{"xxl-job": {"acess_token": "t"}}`,
			want: []string{"remote config: xxl-job.acess_token: unknown key (did you mean xxl-job.access_token?)"}},
		{name: "nested section", file: "wechat: {alert: {enabeld: true}}\n",
			want: []string{"wechat.alert.enabeld: unknown key (did you mean wechat.alert.enabled?)"}},
		{name: "robot template entry", file: "wechat: {robot_templates: {ops: {key: k, tmplate: x}}}\n",
			want: []string{"wechat.robot_templates.ops.tmplate: unknown key (did you mean wechat.robot_templates.ops.template?)"}},
		{name: "named database entry", file: "databases: {report: {driver: sqlite, hots: db.internal}}\n",
			want: []string{"databases.report.hots: unknown key (did you mean databases.report.host?)"}},
		{name: "nothing near", file: "nacos: {colour: blue}\n",
			want: []string{"nacos.colour: unknown key"}, not: "did you mean"},
		{name: "several, each named once", file: "server: {prot: 1, hots: h, extra: {a: 1, b: 2}}\n",
			want: []string{"server.extra: unknown key;", "server.hots: unknown key (did you mean server.host?)", "server.prot: unknown key"}},
		// The decoder takes a key differing in case only when the exact
		// one is absent, and defaults hold most: it would be ignored.
		{name: "key in another case", file: "server: {Port: 8100}\n",
			want: []string{"server.Port: unknown key (did you mean server.port?)"}},
		{name: "section in another case", file: "Server: {port: 8100}\n",
			want: []string{"Server: unknown key (did you mean server?)"}},
		{name: "a value with sub-keys", file: "server: {prot: {a: 1}}\n",
			want: []string{"server.prot: unknown key (did you mean server.port?)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := build(t, tt.file, tt.remote)
			if !errors.Is(err, config.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tt.not != "" && strings.Contains(err.Error(), tt.not) {
				t.Errorf("error %q contains %q", err, tt.not)
			}
		})
	}
}

func TestKnownKeysAndForeignSectionsLoad(t *testing.T) {
	file := `
server: {port: 8100}
wechat: {robot_templates: {ops: {key: k, template: t}}}
databases: {report: {driver: sqlite, path: r.db}}
kafka: {host: kafka.internal, prot: 9092}
`
	remote := "feature_flags: {new_checkout: true}\nmq: [a, b]\nlog: {level: warn}\n"
	cfg, err := build(t, file, remote)
	if err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
	if cfg.Server.Port != 8100 {
		t.Errorf("server.port = %d, want 8100", cfg.Server.Port)
	}
	if got, want := cfg.UnknownSections(), []string{"feature_flags", "kafka", "mq"}; !slices.Equal(got, want) {
		t.Errorf("UnknownSections = %v, want %v", got, want)
	}
	cfg.UnknownSections()[0] = "changed"
	if cfg.UnknownSections()[0] != "feature_flags" {
		t.Error("UnknownSections hands out the config's own slice")
	}
	local, err := build(t, "{}\n", "")
	if err != nil || len(local.UnknownSections()) != 0 {
		t.Errorf("plain config: sections %v, err %v; want none", local.UnknownSections(), err)
	}
}

// Every section of Config, including one added later, is checked: the
// test derives the sections from the struct as the loader does.
func TestEverySectionRefusesUnknownKeys(t *testing.T) {
	ct := reflect.TypeFor[config.Config]()
	checked := 0
	for i := range ct.NumField() {
		f := ct.Field(i)
		name := f.Tag.Get("koanf")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		key := name + ".zz_no_such_key"
		yaml := name + ": {zz_no_such_key: 1}\n"
		switch ft := f.Type; {
		case ft.Kind() == reflect.Map && ft.Elem().Kind() == reflect.Struct:
			key = name + ".entry.zz_no_such_key"
			yaml = name + ": {entry: {zz_no_such_key: 1}}\n"
		case ft.Kind() != reflect.Struct || ft == reflect.TypeFor[time.Time]():
			continue
		}
		checked++
		t.Run(name, func(t *testing.T) {
			_, err := build(t, yaml, "")
			if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), key+": unknown key") {
				t.Fatalf("err = %v, want ErrInvalid naming %s", err, key)
			}
		})
	}
	if checked < 8 {
		t.Fatalf("only %d sections found in config.Config", checked)
	}
}

// APP_* variables name only keys that exist, so a misspelt variable can
// neither set nor fail anything.
func TestEnvNamesOnlyKnownKeys(t *testing.T) {
	l, err := config.NewLoader(config.Selection{Path: writeFile(t, t.TempDir(), "c.yaml", "{}\n"), Env: "test"},
		[]string{"APP_SERVER_PROT=1", "APP_SERVER_PORT=8200"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := l.Build(nil)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if cfg.Server.Port != 8200 {
		t.Errorf("server.port = %d, want 8200 from APP_SERVER_PORT", cfg.Server.Port)
	}
}
