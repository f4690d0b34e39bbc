package wecom_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gomicro/app/config"
	"gomicro/app/wecom"
)

func markdownOf(r received) string {
	body, _ := r.Body["markdown"].(map[string]any)
	s, _ := body["content"].(string)
	return s
}

// TestTemplateLevels sends the DEFAULT robot's template ("服务 {} 失败: {}",
// alarm_level URGENT) at each level and checks the markdown WeCom gets.
func TestTemplateLevels(t *testing.T) {
	tests := []struct {
		level wecom.Level
		want  string
	}{
		{wecom.Normal, `服务 <font>order</font> 失败: <font>超时</font>`},
		{wecom.Urgent, `服务 <font color="warning">order</font> 失败: <font color="warning">超时</font>`},
		{wecom.Critical, `服务 <font color="red">**order**</font> 失败: <font color="red">**超时**</font>`},
		{wecom.Disaster, `服务 <font color="red">**order**</font> 失败: <font color="red">**超时**</font>`},
		{"", `服务 <font color="warning">order</font> 失败: <font color="warning">超时</font>`}, // the config's level
	}
	s := newSetup(t, nil)
	for _, tt := range tests {
		t.Run(string(tt.level), func(t *testing.T) {
			before := s.wecom.count()
			if err := s.client.SendTemplate(s.ctx, "DEFAULT", tt.level, "order", "超时"); err != nil {
				t.Fatalf("SendTemplate: %v", err)
			}
			waitFor(t, s.wecom, s.clock, false, func() bool { return s.wecom.count() > before })
			r := s.wecom.requests()[before]
			if r.Body["msgtype"] != "markdown" || markdownOf(r) != tt.want {
				t.Errorf("got %v %q\nwant markdown %q", r.Body["msgtype"], markdownOf(r), tt.want)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		tmpl    string
		params  []string
		want    string
		wantErr bool
	}{
		{"{} and {}", []string{"a", "b"}, "a and b", false},
		{"{1} before {0}, {0} again", []string{"a", "b"}, "b before a, a again", false},
		{"{{literal}} {}", []string{"x"}, "{literal} x", false},
		{"no placeholders", []string{"ignored"}, "no placeholders", false},
		{"中文 {} 模板", []string{"参数"}, "中文 参数 模板", false},
		{"{} {}", []string{"only one"}, "", true},
		{"{name}", []string{"x"}, "", true},
		{"{0:>10}", []string{"x"}, "", true},
		{"{} {0}", []string{"x"}, "", true},
		{"open {", nil, "", true},
		{"close }", nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.tmpl, func(t *testing.T) {
			got, err := wecom.Format(tt.tmpl, tt.params...)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("Format = %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
			if err != nil && !errors.Is(err, wecom.ErrInvalidTemplate) {
				t.Errorf("error %v does not wrap ErrInvalidTemplate", err)
			}
		})
	}
}

func FuzzFormat(f *testing.F) {
	f.Add("服务 {} 失败: {}", "a", "b")
	f.Add("{1}{0}{{}}", "x", "y")
	f.Add("{", "", "")
	f.Fuzz(func(t *testing.T, tmpl, a, b string) {
		out, err := wecom.Format(tmpl, a, b)
		if err != nil {
			if !errors.Is(err, wecom.ErrInvalidTemplate) || out != "" {
				t.Fatalf("Format(%q) = %q, %v", tmpl, out, err)
			}
			return
		}
		// Without placeholders the template comes back with braces unescaped.
		if !strings.ContainsAny(tmpl, "{}") && out != tmpl {
			t.Fatalf("Format(%q) = %q, want it unchanged", tmpl, out)
		}
	})
}

// TestSendTemplateError checks that the error variant appends the error
// chain and the caller's stack as the last parameter.
func TestSendTemplateError(t *testing.T) {
	s := newSetup(t, nil)
	base := errors.New("connection refused")
	err := fmt.Errorf("load order 42: %w", errors.Join(base, context.DeadlineExceeded))
	if err := s.client.SendTemplateError(s.ctx, "DEFAULT", wecom.Critical, err, "order"); err != nil {
		t.Fatalf("SendTemplateError: %v", err)
	}
	waitFor(t, s.wecom, s.clock, false, func() bool { return s.wecom.count() == 1 })
	got := markdownOf(s.wecom.requests()[0])
	for _, want := range []string{
		`服务 <font color="red">**order**</font> 失败: <font color="red">**error: load order 42: connection refused`,
		"caused by: connection refused",
		"caused by: context deadline exceeded",
		"stack:",
		"TestSendTemplateError",
		"template_test.go:",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("message lacks %q:\n%s", want, got)
		}
	}
}

// TestReload changes a robot's key and template through config.Store, as a
// Nacos refresh does: the next send uses both without a restart.
func TestReload(t *testing.T) {
	s := newSetup(t, nil)
	file := filepath.Join(t.TempDir(), "config.yaml")
	yaml := fmt.Sprintf(`wechat:
  robot_base_url: %s
  robot_templates:
    DEFAULT: {key: %s, template: "old {}", alarm_level: NORMAL}
`, s.wecom.srv.URL, testKey)
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	loader, err := config.NewLoader(config.Selection{Path: file, Env: "test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	oldCfg, err := loader.Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	newCfg, err := loader.Build([]byte(fmt.Sprintf(`{"wechat":{"robot_templates":{"DEFAULT":{"key":"%s-rotated","template":"new {}","alarm_level":"CRITICAL"}}}}`, testKey)))
	if err != nil {
		t.Fatal(err)
	}
	store := config.NewStore(oldCfg, config.Meta{Source: config.SourceLocal})
	if err := s.client.Reload(oldCfg.WeChat); err != nil {
		t.Fatal(err)
	}
	s.client.Watch(store)

	send := func() received {
		t.Helper()
		before := s.wecom.count()
		if err := s.client.SendTemplate(s.ctx, "", "", "x"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, s.wecom, s.clock, false, func() bool { return s.wecom.count() > before })
		return s.wecom.requests()[before]
	}
	if r := send(); r.Key != testKey || markdownOf(r) != "old <font>x</font>" {
		t.Fatalf("before reload: %q", markdownOf(r))
	}
	store.Apply(s.ctx, newCfg, config.Meta{Source: config.SourceNacos, MD5: "2"})
	if r := send(); r.Key != testKey+"-rotated" || markdownOf(r) != `new <font color="red">**x**</font>` {
		t.Fatalf("after reload: key rotated %v, %q", r.Key == testKey+"-rotated", markdownOf(r))
	}
}
