package nacos_test

import (
	"context"
	"errors"
	"testing"

	"gomicro/app/config"
	"gomicro/app/config/configtest"
	"gomicro/app/errs"
	"gomicro/app/nacos"
)

// localStore builds a store from a config file holding content.
func localStore(t *testing.T, content string) *config.Store {
	t.Helper()
	_, cfg := configtest.Load(t, content)
	return config.NewStore(cfg, config.Meta{Source: config.SourceLocal})
}

func TestNacosOff(t *testing.T) {
	store := localStore(t, "")
	c, err := nacos.New(context.Background(), config.Nacos{Register: true}, nil, store)
	if err != nil {
		t.Fatal(err)
	}
	if c.Enabled() || c.Status().Degraded() || c.Status().Source != config.SourceLocal {
		t.Errorf("status = %+v, enabled %v; want local, not degraded", c.Status(), c.Enabled())
	}
	if _, err := c.Probe(context.Background()); err != nil {
		t.Errorf("Probe with Nacos off = %v, want nil", err)
	}
	_, err = c.Refresh(context.Background())
	if code, _ := errs.CodeOf(err); !errors.Is(err, nacos.ErrDisabled) || code != errs.Conflict {
		t.Errorf("Refresh = %v (code %s), want ErrDisabled (conflict)", err, code)
	}
	if inst, err := c.RegisterInstance(context.Background(), 8000); err != nil || inst != (nacos.Instance{}) {
		t.Errorf("RegisterInstance = %+v, %v; want a no-op", inst, err)
	}
	if err := c.Close(context.Background()); err != nil {
		t.Errorf("Close = %v", err)
	}
}

func TestBadNacosSectionIsInvalid(t *testing.T) {
	dir := t.TempDir()
	ok := config.Nacos{Host: "127.0.0.1:8848", DataID: "x.yaml", CacheDir: dir, LogDir: dir}
	cases := []struct {
		name   string
		mutate func(*config.Nacos)
	}{
		{"port out of range", func(n *config.Nacos) { n.Host = "127.0.0.1:99999" }},
		{"unknown scheme", func(n *config.Nacos) { n.Host = "ftp://nacos:8848" }},
		{"only commas", func(n *config.Nacos) { n.Host = " , " }},
		{"no data_id", func(n *config.Nacos) { n.DataID = "" }},
		{"no cache_dir", func(n *config.Nacos) { n.CacheDir = "" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.mutate(&cfg)
			_, err := nacos.New(context.Background(), cfg, nil, localStore(t, ""))
			if !errors.Is(err, config.ErrInvalid) {
				t.Errorf("New = %v, want config.ErrInvalid", err)
			}
		})
	}
}
