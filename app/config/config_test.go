package config_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gomicro/app/config"
)

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func getenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestSelect(t *testing.T) {
	tests := []struct {
		name     string
		flag     string
		env      map[string]string
		wantPath string
		wantEnv  string
		wantErr  string
	}{
		{name: "default is test", wantPath: "d/config_test.yaml", wantEnv: "test"},
		{name: "APP_ENV picks file", env: map[string]string{"APP_ENV": "prod"}, wantPath: "d/config_prod.yaml", wantEnv: "prod"},
		{name: "APP_CONFIG wins over APP_ENV", env: map[string]string{"APP_ENV": "uat", "APP_CONFIG": "x.yaml"}, wantPath: "x.yaml", wantEnv: "uat"},
		{name: "flag wins over APP_CONFIG", flag: "f.yaml", env: map[string]string{"APP_CONFIG": "x.yaml"}, wantPath: "f.yaml", wantEnv: "test"},
		{name: "unknown env", env: map[string]string{"APP_ENV": "staging"}, wantErr: `APP_ENV="staging"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, err := config.Select(tt.flag, "d", getenv(tt.env))
			if tt.wantErr != "" {
				if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ErrInvalid containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sel.Path != tt.wantPath || sel.Env != tt.wantEnv {
				t.Fatalf("got %+v, want path %s env %s", sel, tt.wantPath, tt.wantEnv)
			}
		})
	}
}

func TestLayeringOrder(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "c.yaml", `
server:
  port: 8100
  host: 10.0.0.1
log:
  level: warn
xxl-job:
  access_token: from-file
wechat:
  robot_templates:
    DEFAULT: {key: file-key, template: "a {0}", alarm_level: NORMAL}
`)
	remote := []byte(`{"server": {"host": "10.0.0.2"}, "log": {"level": "error"}, "xxl-job": {"app_name": "from-nacos"}}`)
	environ := []string{
		"APP_LOG_LEVEL=debug",
		"APP_XXL_JOB_ACCESS_TOKEN=from-env",
		"APP_WECHAT_ROBOT_TEMPLATES_DEFAULT_KEY=env-key",
		"UNRELATED=1",
	}
	l, err := config.NewLoader(config.Selection{Path: path, Env: "test"}, environ)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := l.Build(remote)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"default survives (timezone)", cfg.App.Timezone, "Asia/Shanghai"},
		{"file over default (port)", itoa(cfg.Server.Port), "8100"},
		{"remote over file (host)", cfg.Server.Host, "10.0.0.2"},
		{"remote adds key", cfg.XxlJob.AppName, "from-nacos"},
		{"env over remote (level)", cfg.Log.Level, "debug"},
		{"env with dash in path", cfg.XxlJob.AccessToken, "from-env"},
		{"env into map entry", cfg.WeChat.RobotTemplates["DEFAULT"].Key, "env-key"},
		{"default log dir", cfg.Log.Dir, "log"},
		{"default retention", itoa(cfg.Log.RetentionDays), "60"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestEnvOverrideTypes(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "c.yaml", "server: {port: 8000}\n")
	l, err := config.NewLoader(config.Selection{Path: path, Env: "test"}, []string{"APP_SERVER_PORT=18080", "APP_SERVER_SHUTDOWN_TIMEOUT=3s", "APP_DATABASE_AUTO_MIGRATE=true"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := l.Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Port != 18080 || cfg.Server.ShutdownTimeout != 3*time.Second || !cfg.Database.AutoMigrate {
		t.Fatalf("env not applied with types: %+v %+v", cfg.Server, cfg.Database)
	}
}

func TestValidationErrorsNameFileAndKey(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		environ []string
		remote  string
		want    []string
	}{
		{name: "missing file", want: []string{"nope.yaml", "no such file"}},
		{name: "bad yaml", file: "server: [1,\n", want: []string{"c.yaml", "parse yaml"}},
		{name: "port out of range", file: "server: {port: 70000}\n", want: []string{"c.yaml", "server.port", "70000"}},
		{name: "bad level and timezone", file: "log: {level: loud}\napp: {timezone: Mars/Base}\n", want: []string{"log.level", "app.timezone"}},
		{name: "not a number", file: "server: {port: abc}\n", want: []string{"c.yaml", "port"}},
		{name: "env value invalid", file: "{}\n", environ: []string{"APP_DATABASE_DRIVER=oracle"}, want: []string{"APP_* environment", "database.driver"}},
		{name: "remote value invalid", file: "{}\n", remote: "log: {level: nope}", want: []string{"remote config", "log.level"}},
		{name: "remote unparsable", file: "{}\n", remote: "log: [", want: []string{"remote config", "parse"}},
		{name: "alarm level in map", file: "wechat: {robot_templates: {ops: {key: k, alarm_level: LOUD}}}\n", want: []string{"wechat.robot_templates[ops].alarm_level"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "nope.yaml")
			if tt.file != "" {
				path = writeFile(t, dir, "c.yaml", tt.file)
			}
			l, err := config.NewLoader(config.Selection{Path: path, Env: "test"}, tt.environ)
			if err == nil {
				var remote []byte
				if tt.remote != "" {
					remote = []byte(tt.remote)
				}
				_, err = l.Build(remote)
			}
			if !errors.Is(err, config.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestSecretsMasked(t *testing.T) {
	dir := t.TempDir()
	secrets := []string{"adm1n-t0ken", "db-pa55", "xxl-t0k", "robot-key-123", "nacos-pa55", "root:dsnpass@tcp"}
	path := writeFile(t, dir, "c.yaml", `
server: {admin_token: adm1n-t0ken}
database: {password: db-pa55, dsn: "root:dsnpass@tcp(127.0.0.1:3306)/x"}
xxl-job: {access_token: xxl-t0k}
wechat: {robot_templates: {DEFAULT: {key: robot-key-123, template: "t"}}}
nacos: {password: nacos-pa55}
`)
	l, err := config.NewLoader(config.Selection{Path: path, Env: "test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := l.Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, shown := range []string{string(js), cfg.String()} {
		for _, s := range secrets {
			if strings.Contains(shown, s) {
				t.Errorf("secret %q visible in %s", s, shown)
			}
		}
		if !strings.Contains(shown, config.Mask) || !strings.Contains(shown, `"template":"t"`) {
			t.Errorf("masked form lost data: %s", shown)
		}
	}
	// Errors about a secret key must not echo its value either.
	for _, yaml := range []string{
		"server: {admin_token: {nested: s3cr3t-value}}\n",
		"database: {password: [s3cr3t-value]}\n",
	} {
		l2, err := config.NewLoader(config.Selection{Path: writeFile(t, dir, "d.yaml", yaml), Env: "test"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = l2.Build(nil)
		if err == nil || strings.Contains(err.Error(), "s3cr3t-value") {
			t.Fatalf("want an error without the secret, got %v", err)
		}
	}
}

func TestStoreApplyNotifiesChangedKeys(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "c.yaml", "log: {level: info}\n")
	l, err := config.NewLoader(config.Selection{Path: path, Env: "test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, err := l.Build([]byte("server: {port: 8001}\n"))
	if err != nil {
		t.Fatal(err)
	}
	store := config.NewStore(first, config.Meta{Source: config.SourceNacos, MD5: "a"})
	var got []config.Change
	store.Subscribe(func(_ context.Context, ch config.Change) { got = append(got, ch) })

	same, _ := l.Build([]byte("server: {port: 8001}\n"))
	if ch := store.Apply(context.Background(), same, config.Meta{Source: config.SourceNacos, MD5: "a"}); len(ch.Keys) != 0 || len(got) != 0 {
		t.Fatalf("no-op apply reported %v", ch.Keys)
	}
	next, _ := l.Build([]byte("server: {port: 8002}\nlog: {level: debug}\nextra: {k: v}\n"))
	store.Apply(context.Background(), next, config.Meta{Source: config.SourceNacos, MD5: "b"})
	if len(got) != 1 {
		t.Fatalf("subscribers called %d times", len(got))
	}
	want := []string{"extra.k", "log.level", "server.port"}
	if strings.Join(got[0].Keys, ",") != strings.Join(want, ",") || got[0].OldMD5 != "a" || got[0].NewMD5 != "b" {
		t.Fatalf("change = %+v", got[0])
	}
	if store.Current() != next || store.Meta().MD5 != "b" || got[0].Old != same {
		t.Fatal("store did not swap")
	}
}

func TestEnvName(t *testing.T) {
	for key, want := range map[string]string{
		"server.port":          "APP_SERVER_PORT",
		"xxl-job.access_token": "APP_XXL_JOB_ACCESS_TOKEN",
		"log.level":            "APP_LOG_LEVEL",
	} {
		if got := config.EnvName(key); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestShippedConfigFilesLoad(t *testing.T) {
	for _, env := range []string{"test", "uat", "prod"} {
		t.Run(env, func(t *testing.T) {
			sel, err := config.Select("", "../..", getenv(map[string]string{"APP_ENV": env}))
			if err != nil {
				t.Fatal(err)
			}
			l, err := config.NewLoader(sel, nil)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := l.Build(nil)
			if err != nil {
				t.Fatal(err)
			}
			if env == "test" && (cfg.Nacos.Host != "" || cfg.Database.Driver != "sqlite") {
				t.Fatalf("config_test.yaml must run everything locally: %s", cfg)
			}
			if env != "test" && cfg.Database.Driver != "mysql" {
				t.Fatalf("%s should use mysql", env)
			}
		})
	}
}

func FuzzBuildRemote(f *testing.F) {
	f.Add([]byte("server: {port: 8001}\n"))
	f.Add([]byte(`{"log": {"level": "debug"}}`))
	f.Add([]byte("wechat:\n  robot_templates:\n    a: {key: k}\n"))
	f.Add([]byte("- 1\n- 2\n"))
	dir := f.TempDir()
	path := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(path, []byte("{}\n"), 0o644); err != nil {
		f.Fatal(err)
	}
	l, err := config.NewLoader(config.Selection{Path: path, Env: "test"}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, remote []byte) {
		cfg, err := l.Build(remote)
		if err != nil {
			if !errors.Is(err, config.ErrInvalid) {
				t.Fatalf("error not marked invalid: %v", err)
			}
			return
		}
		if cfg.Server.Port < 0 || cfg.Server.Port > 65535 {
			t.Fatalf("validation let port %d through", cfg.Server.Port)
		}
	})
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestWeChatValidation(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string // "" means valid
	}{
		{"http base url", "wechat: {robot_base_url: 'http://127.0.0.1:9/x'}\n", ""},
		{"ftp base url", "wechat: {robot_base_url: 'ftp://example.com'}\n", "robot_base_url"},
		{"alerts off, no robot", "wechat: {alert: {enabled: false, robot: ops}}\n", ""},
		{"alerts to missing robot", "wechat: {alert: {enabled: true, robot: ops}, robot_templates: {DEFAULT: {key: k}}}\n", "alert.robot"},
		{"alerts to robot without key", "wechat: {alert: {enabled: true, robot: ops}, robot_templates: {ops: {template: t}}}\n", "alert.robot"},
		{"alerts to named robot", "wechat: {alert: {enabled: true, robot: ops}, robot_templates: {ops: {key: k}}}\n", ""},
		{"robot names are exact", "wechat: {alert: {enabled: true, robot: OPS}, robot_templates: {ops: {key: k}}}\n", "alert.robot"},
		{"alerts to default robot", "wechat: {alert: {enabled: true, robot: default}, robot_templates: {DEFAULT: {key: k}}}\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := config.NewLoader(config.Selection{Path: writeFile(t, t.TempDir(), "c.yaml", tt.yaml), Env: "test"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = l.Build(nil)
			if tt.want == "" && err != nil {
				t.Fatalf("valid config refused: %v", err)
			}
			if tt.want != "" && (!errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("err = %v, want one naming %q", err, tt.want)
			}
		})
	}
}
