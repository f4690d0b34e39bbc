package main

import (
	"fmt"
	"slices"
	"strings"
)

// profile is one way the server is run: an env file as shipped, with only
// what it needs to start on this machine overridden.
type profile struct {
	name   string
	env    string   // APP_ENV: selects config_<env>.yaml
	extra  []string // APP_* overrides
	output string   // what the log settings amount to, for the table
}

// local starts uat/prod here: no Nacos, a fresh SQLite instead of their
// MySQL (migrated at start, as `server migrate` would have done), on
// loopback. Their log settings stay as shipped.
var local = []string{"APP_NACOS_HOST=", "APP_DATABASE_DRIVER=sqlite", "APP_DATABASE_AUTO_MIGRATE=true", "APP_SERVER_HOST=127.0.0.1"}

func profiles() []profile {
	return []profile{
		{name: "test", env: "test", output: "console stdout + JSON file"},
		{name: "test/json", env: "test", extra: []string{"APP_LOG_FORMAT=json"}, output: "JSON stdout + JSON file"},
		{name: "uat", env: "uat", extra: local, output: "JSON stdout + JSON file"},
		{name: "prod", env: "prod", extra: local, output: "JSON stdout + JSON file"},
	}
}

// diagnostics run only when named: they take parts away to show what
// each costs (no access line at all; no server read/write timeouts).
func diagnostics() []profile {
	return []profile{
		{name: "diag/warn", env: "test", extra: []string{"APP_LOG_FORMAT=json", "APP_LOG_LEVEL=warn"}, output: "no access line"},
		{name: "diag/notmo", env: "test", extra: []string{"APP_LOG_FORMAT=json", "APP_SERVER_READ_TIMEOUT=0", "APP_SERVER_WRITE_TIMEOUT=0"}, output: "JSON, no read/write timeout"},
	}
}

func selectProfiles(only string) ([]profile, error) {
	all := profiles()
	if only == "" {
		return all, nil
	}
	all = append(all, diagnostics()...)
	var out []profile
	for name := range strings.SplitSeq(only, ",") {
		i := slices.IndexFunc(all, func(p profile) bool { return p.name == name })
		if i < 0 {
			return nil, fmt.Errorf("-profiles: unknown %q", name)
		}
		out = append(out, all[i])
	}
	return out, nil
}
