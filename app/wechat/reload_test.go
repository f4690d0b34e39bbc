package wechat_test

import (
	"context"
	"strings"
	"testing"

	"gomicro/app/config"
	"gomicro/app/config/configtest"
)

// TestConfigReloadAppliesToNextMessage swaps in a config (as a Nacos push
// does) and the next message follows it: a changed rule, a new account,
// a removed one.
func TestConfigReloadAppliesToNextMessage(t *testing.T) {
	e := newEnv(t, envOptions{yaml: accountYAML("")})
	if r := shop.reply(t, plainMode, e.serve(shop.request("shop", plainMode, textMsg("hello", 1)))); r == nil || r.Content != "world" {
		t.Fatalf("before: %+v", r)
	}
	changed := strings.Replace(accountYAML(`    blog:
      app_id: wxblog
      token: blog-token
      keywords: [{match: contains, pattern: post, reply: latest post}]
`), "reply: world", "reply: reloaded world", 1)
	_, cfg := configtest.Load(t, "log:\n  dir: \"\"\n"+changed)
	e.store.Apply(context.Background(), cfg, config.Meta{Source: config.SourceNacos})
	if r := shop.reply(t, plainMode, e.serve(shop.request("shop", plainMode, textMsg("hello", 2)))); r == nil || r.Content != "reloaded world" {
		t.Errorf("after the reload: %+v", r)
	}
	blog := peer{token: "blog-token", appID: "wxblog"}
	if r := blog.reply(t, plainMode, e.serve(blog.request("blog", plainMode, textMsg("new post?", 3)))); r == nil || r.Content != "latest post" {
		t.Errorf("new account: %+v", r)
	}
	_, cfg = configtest.Load(t, "log:\n  dir: \"\"\n")
	e.store.Apply(context.Background(), cfg, config.Meta{Source: config.SourceNacos})
	if r := e.serve(shop.request("shop", plainMode, textMsg("hello", 4))); r.status != 404 {
		t.Errorf("removed account answered %d %s", r.status, r.body)
	}
	if n := metricCount(t, e, "wechat_unit_duration_seconds", "keyword"); n < 3 {
		t.Errorf("keyword unit timed %d times, want at least 3", n)
	}
}

// metricCount is the sample count of histogram name for unit.
func metricCount(t *testing.T, e *env, name, unit string) uint64 {
	t.Helper()
	families, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "unit" && l.GetValue() == unit {
					return m.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	return 0
}
