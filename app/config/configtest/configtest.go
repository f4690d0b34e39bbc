// Package configtest builds real configs for tests, the way the binaries do.
package configtest

import (
	"os"
	"path/filepath"
	"testing"

	"gomicro/app/config"
)

// Load writes yaml as a test's config file and builds it with no
// environment overrides; any error fails the test.
func Load(t testing.TB, yaml string) (*config.Loader, *config.Config) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config_test.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := config.NewLoader(config.Selection{Path: path, Env: "test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := l.Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	return l, cfg
}
