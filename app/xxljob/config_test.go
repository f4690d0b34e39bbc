package xxljob_test

import (
	"errors"
	"strings"
	"testing"

	"gomicro/app/config"
	"gomicro/app/xxljob"
)

func TestNewValidatesAndAdvertises(t *testing.T) {
	base := config.XxlJob{AppName: "app", Port: 9999, LogPath: t.TempDir()}
	for _, tc := range []struct {
		name    string
		edit    func(*config.XxlJob)
		want    string // advertised address, or a prefix ending in ':' for the host IP
		invalid bool
	}{
		{"host:port", func(c *config.XxlJob) { c.Address = "10.0.0.5:19999" }, "http://10.0.0.5:19999/", false},
		{"url", func(c *config.XxlJob) { c.Address = "https://job.example.com/" }, "https://job.example.com/", false},
		{"own ip", func(c *config.XxlJob) { c.URL = "http://admin:8080/xxl-job-admin" }, ":9999/", false},
		{"bad address", func(c *config.XxlJob) { c.Address = "ftp://x" }, "", true},
		{"bad admin", func(c *config.XxlJob) { c.URL = "http://a:1, admin:8080" }, "", true},
		{"no app name", func(c *config.XxlJob) { c.AppName = "" }, "", true},
		{"no log path", func(c *config.XxlJob) { c.LogPath = "" }, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.edit(&cfg)
			ex, err := xxljob.New(cfg, xxljob.Options{})
			if tc.invalid {
				if !errors.Is(err, config.ErrInvalid) {
					t.Fatalf("New = %v, want config.ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := ex.Address(); !strings.HasSuffix(got, tc.want) || !strings.HasPrefix(got, "http") {
				t.Errorf("Address() = %q, want %q", got, tc.want)
			}
		})
	}
}
