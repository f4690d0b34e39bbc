package config

import (
	"reflect"
	"strings"
)

// envOverrides maps APP_* variables onto config keys. A variable names a key
// as APP_ + the upper-cased path with '.' and '-' turned into '_'. Because
// that mapping is lossy, a variable is matched against the keys that exist:
// every field of Config plus every key already loaded (robot names, say).
func envOverrides(environ []string, loaded []string) map[string]any {
	known := map[string]string{}
	for _, key := range append(structKeys(reflect.TypeFor[Config](), ""), loaded...) {
		known[EnvName(key)] = key
	}
	out := map[string]any{}
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || name == "APP_ENV" || name == "APP_CONFIG" {
			continue
		}
		if key, ok := known[name]; ok {
			out[key] = val
		}
	}
	return out
}

// EnvName returns the environment variable that overrides a config key,
// e.g. "xxl-job.access_token" → "APP_XXL_JOB_ACCESS_TOKEN".
func EnvName(key string) string {
	r := strings.NewReplacer(".", "_", "-", "_")
	return "APP_" + strings.ToUpper(r.Replace(key))
}

// structKeys lists the dotted koanf paths of every leaf field of t.
func structKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("koanf")
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		key := prefix + tag
		if f.Type.Kind() == reflect.Struct && f.Type.PkgPath() != "time" {
			keys = append(keys, structKeys(f.Type, key+".")...)
			continue
		}
		keys = append(keys, key)
	}
	return keys
}
