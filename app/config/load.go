package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/rawbytes"
	"github.com/knadh/koanf/v2"
)

// ErrInvalid marks every error caused by bad configuration input: an unknown
// env, a missing or unparsable file, or a value that fails validation. The
// binaries exit with code 2 on it.
var ErrInvalid = errors.New("invalid config")

// Envs are the accepted values of APP_ENV.
var envs = map[string]bool{"test": true, "uat": true, "prod": true}

// Selection says which file to read and which env the process runs in.
type Selection struct {
	Path string
	Env  string
}

// Select picks the config file: the -config flag, then APP_CONFIG, then
// config_<APP_ENV>.yaml in dir (APP_ENV defaults to test). It returns an
// error wrapping ErrInvalid when APP_ENV is not test, uat or prod.
func Select(flagPath, dir string, getenv func(string) string) (Selection, error) {
	env := getenv("APP_ENV")
	if env == "" {
		env = "test"
	}
	if !envs[env] {
		return Selection{}, fmt.Errorf("%w: APP_ENV=%q: must be one of test, uat, prod", ErrInvalid, env)
	}
	path := flagPath
	if path == "" {
		path = getenv("APP_CONFIG")
	}
	if path == "" {
		path = filepath.Join(dir, "config_"+env+".yaml")
	}
	return Selection{Path: path, Env: env}, nil
}

// Loader remembers the file and the environment so that a Nacos reload can
// rebuild the layered value with a new remote layer in between.
type Loader struct {
	sel     Selection
	file    map[string]any
	environ []string
}

// NewLoader reads and parses the selected file once. environ is the process
// environment (os.Environ()). The error wraps ErrInvalid and names the file;
// a key in a section gomicro owns that names no setting is such an error,
// with the nearest known key suggested.
func NewLoader(sel Selection, environ []string) (*Loader, error) {
	raw, err := os.ReadFile(sel.Path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalid, sel.Path, err)
	}
	k := koanf.New(".")
	if err := k.Load(rawbytes.Provider(raw), yaml.Parser()); err != nil {
		return nil, fmt.Errorf("%w: %s: parse yaml: %w", ErrInvalid, sel.Path, err)
	}
	if msgs := unknownKeys(k.All()); len(msgs) > 0 {
		return nil, fmt.Errorf("%w: %s: %s", ErrInvalid, sel.Path, strings.Join(msgs, "; "))
	}
	return &Loader{sel: sel, file: k.All(), environ: environ}, nil
}

// Selection returns the file and env the loader was made for.
func (l *Loader) Selection() Selection { return l.sel }

// Build merges defaults < file < remote < environment into a validated
// Config. remote is the Nacos content (YAML or JSON); nil means none. Errors
// wrap ErrInvalid and name the file (or "remote config") and the offending
// key; in remote, as in the file, an unknown key inside a section gomicro
// owns is refused, while unknown top-level sections are kept (see
// Config.UnknownSections).
func (l *Loader) Build(remote []byte) (*Config, error) {
	k := koanf.New(".")
	if err := k.Load(confmap.Provider(Defaults(), "."), nil); err != nil {
		return nil, fmt.Errorf("load defaults: %w", err)
	}
	if err := k.Load(confmap.Provider(l.file, "."), nil); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalid, l.sel.Path, err)
	}
	origin := l.sel.Path
	if len(remote) > 0 {
		rk := koanf.New(".")
		if err := rk.Load(rawbytes.Provider(remote), yaml.Parser()); err != nil {
			return nil, fmt.Errorf("%w: remote config: parse yaml/json: %w", ErrInvalid, err)
		}
		if msgs := unknownKeys(rk.All()); len(msgs) > 0 {
			return nil, fmt.Errorf("%w: remote config: %s", ErrInvalid, strings.Join(msgs, "; "))
		}
		if err := k.Merge(rk); err != nil {
			return nil, fmt.Errorf("%w: remote config: %w", ErrInvalid, err)
		}
		origin += " + remote config"
	}
	if over := envOverrides(l.environ, k.Keys()); len(over) > 0 {
		if err := k.Load(confmap.Provider(over, "."), nil); err != nil {
			return nil, fmt.Errorf("%w: environment: %w", ErrInvalid, err)
		}
		origin += " + APP_* environment"
	}
	cfg := &Config{Env: l.sel.Env}
	if err := k.UnmarshalWithConf("", cfg, koanf.UnmarshalConf{Tag: "koanf"}); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalid, origin, err)
	}
	cfg.Redis.Addr = cfg.Redis.address()
	if err := validate(cfg); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalid, origin, err)
	}
	cfg.flat = k.All()
	cfg.unknown = unknownSections(k.Keys())
	return cfg, nil
}
