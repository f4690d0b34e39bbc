package config_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gomicro/app/config"
)

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://xxl.internal:8080/xxl-job-admin", "http://xxl.internal:8080/xxl-job-admin"},
		{"http://u:secret@host/xxl-job-admin", "http://u:******@host/xxl-job-admin"},
		{"https://t0ken@host", "https://******@host"},
		{"http://u:s3@a,https://v:s4@b/x", "http://u:******@a,https://v:******@b/x"},
		{"http://a,http://u:s3@b", "http://a,http://u:******@b"},
		{"u:secret@host:8848", "u:******@host:8848"},
		{"http://u:p@ss/w,rd@host/x", "http://u:******@host/x"},
		{"http://u:***@host/api", "http://u:******@host/api"}, // net/http's own form
		{`Post "http://u:p@h/api/registry": refused`, `Post "http://u:******@h/api/registry": refused`},
		{"http://host/users/@me", "http://******@me"}, // more than needed, never less
		{"", ""},
	}
	for _, tt := range tests {
		if got := config.RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzRedactURL(f *testing.F) {
	f.Add("http://u:secret@host/xxl-job-admin", "u", "secret", "host/x")
	f.Add("https://a,http://b:c@d", "user", "p@ss,w/rd?#", "h:1/p")
	f.Add("u:p@h", "", "x", "")
	f.Add("http://h/@", "a@b", "", "h")
	f.Fuzz(func(t *testing.T, s, user, pass, rest string) {
		got := config.RedactURL(s)
		if again := config.RedactURL(got); again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, got, again)
		}
		if !strings.Contains(s, "@") && got != s {
			t.Fatalf("changed %q without userinfo to %q", s, got)
		}
		// Whatever the input, every '@' left is preceded, back to its
		// "://" or the start, by a masked userinfo.
		for _, seg := range strings.Split(got, "://") {
			at := strings.LastIndexByte(seg, '@')
			if at < 0 {
				continue
			}
			if ui := seg[:at]; ui != config.Mask && !strings.HasSuffix(ui, ":"+config.Mask) {
				t.Fatalf("RedactURL(%q) = %q leaves userinfo %q", s, got, ui)
			}
		}
		// A URL with a password shows the user and the rest, never the
		// password, whatever characters the password holds.
		if strings.Contains(user, ":") || strings.Contains(user, "://") || strings.Contains(pass, "://") ||
			strings.HasPrefix(pass, "//") || strings.Contains(rest, "@") || strings.Contains(rest, "://") {
			return
		}
		in := "http://" + user + ":" + pass + "@" + rest
		if got, want := config.RedactURL(in), "http://"+user+":"+config.Mask+"@"+rest; got != want {
			t.Fatalf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	})
}

func TestMaskedHidesURLUserinfoAndParams(t *testing.T) {
	cfg, err := build(t, `
xxl-job: {url: "http://u:xxl-secret@xxl.internal/xxl-job-admin,https://tok-secret@b.internal"}
wechat: {robot_base_url: "https://w:wecom-secret@qyapi.internal"}
nacos: {host: "n:nacos-secret@nacos.internal:8848"}
database:
  params: "charset=utf8mb4&loc=Asia%2FShanghai&connectionAttributes=token:attr-secret&app_password=var-secret&tls=custom&charset=x%26pw%3Dpct-secret&stray-secret"
databases: {report: {driver: mysql, params: "parseTime=true&session_secret=db2-secret"}}
`, "")
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(cfg.Masked())
	if err != nil {
		t.Fatal(err)
	}
	shown := string(js)
	for _, s := range []string{"xxl-secret", "tok-secret", "wecom-secret", "nacos-secret", "attr-secret", "var-secret", "pct-secret", "stray-secret", "db2-secret"} {
		if strings.Contains(shown, s) {
			t.Errorf("%q visible in %s", s, shown)
		}
	}
	m := cfg.Masked()
	xxl := m["xxl-job"].(map[string]any)["url"]
	if xxl != "http://u:******@xxl.internal/xxl-job-admin,https://******@b.internal" {
		t.Errorf("xxl-job.url shown as %q", xxl)
	}
	params := m["database"].(map[string]any)["params"]
	if params != "charset=utf8mb4&loc=Asia%2FShanghai&connectionAttributes=******&app_password=******&tls=custom&charset=******&******" {
		t.Errorf("database.params shown as %q: the driver's plain settings stay readable, the rest masked", params)
	}
	if cfg.XxlJob.URL != "http://u:xxl-secret@xxl.internal/xxl-job-admin,https://tok-secret@b.internal" {
		t.Errorf("masking changed the config itself: %q", cfg.XxlJob.URL)
	}
}

// A value that fails validation is quoted masked in the error.
func TestValidationErrorMasksURLUserinfo(t *testing.T) {
	_, err := build(t, "wechat: {robot_base_url: 'ftp://w:wecom-secret@host'}\n", "")
	if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "wechat.robot_base_url") {
		t.Fatalf("err = %v, want ErrInvalid naming wechat.robot_base_url", err)
	}
	if strings.Contains(err.Error(), "wecom-secret") || !strings.Contains(err.Error(), "ftp://w:******@host") {
		t.Errorf("error %q should quote the URL with its password masked", err)
	}
}

// driverSettings are go-sql-driver/mysql's own parameters, written out
// here so the test checks the list in the package independently.
var driverSettings = strings.Fields(`allowAllFiles allowCleartextPasswords allowFallbackToPlaintext
	allowNativePasswords allowOldPasswords charset checkConnLiveness clientFoundRows collation
	columnsWithAlias compress interpolateParams loc maxAllowedPacket multiStatements parseTime
	readTimeout rejectReadOnly serverPubKey strict timeTruncate timeout tls writeTimeout`)

func FuzzMaskedParams(f *testing.F) {
	f.Add("charset=utf8mb4&parseTime=true&loc=Local&interpolateParams=true")
	f.Add("loc=Asia%2FShanghai&connectionAttributes=a:b&sql_mode=x")
	f.Add("charset=a%26password%3Dx&&=v&k&tls=")
	path := filepath.Join(f.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte("{}\n"), 0o644); err != nil {
		f.Fatal(err)
	}
	l, err := config.NewLoader(config.Selection{Path: path, Env: "test"}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, params string) {
		remote, _ := json.Marshal(map[string]any{"database": map[string]any{"params": params}})
		cfg, err := l.Build(remote)
		if err != nil || cfg.Database.Params == "" {
			return // not text YAML takes, say
		}
		shown, _ := cfg.Masked()["database"].(map[string]any)["params"].(string)
		in, out := strings.Split(cfg.Database.Params, "&"), strings.Split(shown, "&")
		if len(in) != len(out) {
			t.Fatalf("params %q shown as %q: pieces lost", cfg.Database.Params, shown)
		}
		for i, piece := range in {
			name, val, _ := strings.Cut(piece, "=")
			switch {
			case out[i] == config.Mask || out[i] == name+"="+config.Mask:
			case out[i] != piece:
				t.Fatalf("piece %q shown as %q", piece, out[i])
			case val != "" && !slices.Contains(driverSettings, name):
				t.Fatalf("value of %q shown in %q", name, shown)
			}
		}
	})
}
