package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Boot is how both binaries start: it parses the -config flag from args,
// selects the file (see Select), reads it and builds the first Config from
// defaults, the file and APP_* variables in environ. The Nacos layer is
// added later through the returned Loader. It returns the remaining
// arguments (subcommands). flag.ErrHelp comes back as is, for -h; every
// other error wraps ErrInvalid.
func Boot(name string, args, environ []string, stderr io.Writer) (*Loader, *Config, []string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "config file (default $APP_CONFIG, else config_$APP_ENV.yaml)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil, nil, err
		}
		return nil, nil, nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	sel, err := Select(*path, ".", Getenv(environ))
	if err != nil {
		return nil, nil, nil, err
	}
	loader, err := NewLoader(sel, environ)
	if err != nil {
		return nil, nil, nil, err
	}
	cfg, err := loader.Build(nil)
	if err != nil {
		return nil, nil, nil, err
	}
	return loader, cfg, fs.Args(), nil
}

// Getenv returns a lookup over environ (os.Environ() form), so code that
// reads the environment can be given a test's own.
func Getenv(environ []string) func(string) string {
	return func(key string) string {
		for _, kv := range environ {
			if k, v, ok := strings.Cut(kv, "="); ok && k == key {
				return v
			}
		}
		return ""
	}
}
