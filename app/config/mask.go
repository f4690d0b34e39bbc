package config

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"time"
)

// Mask replaces every non-empty secret whenever config is shown.
const Mask = "******"

// Masked returns the config as a map keyed like the config file, with every
// secret (fields tagged secret:"true") replaced by Mask. It is the only form
// in which config is logged or served.
func (c *Config) Masked() map[string]any {
	m, _ := maskValue(reflect.ValueOf(*c)).(map[string]any)
	m["env"] = c.Env
	return m
}

// MarshalJSON encodes the masked form, so a Config can never leak a secret
// through a log field or a JSON response by accident.
func (c *Config) MarshalJSON() ([]byte, error) { return json.Marshal(c.Masked()) }

// String returns the masked form as JSON, for the same reason.
func (c *Config) String() string {
	b, _ := c.MarshalJSON()
	return string(b)
}

func maskValue(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Struct:
		if d, ok := v.Interface().(time.Duration); ok {
			return d.String()
		}
		out := map[string]any{}
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("koanf")
			if !f.IsExported() || tag == "" || tag == "-" {
				continue
			}
			fv := v.Field(i)
			if f.Tag.Get("secret") == "true" {
				if !fv.IsZero() {
					out[tag] = Mask
				} else {
					out[tag] = ""
				}
				continue
			}
			out[tag] = maskValue(fv)
		}
		return out
	case reflect.Map:
		out := map[string]any{}
		for _, k := range v.MapKeys() {
			out[k.String()] = maskValue(v.MapIndex(k))
		}
		return out
	case reflect.Int64:
		if d, ok := v.Interface().(time.Duration); ok {
			return d.String()
		}
		return v.Interface()
	default:
		return v.Interface()
	}
}

var secretNames = sync.OnceValue(func() map[string]bool {
	names := map[string]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			ft := f.Type
			if ft.Kind() == reflect.Map {
				ft = ft.Elem()
			}
			if f.Tag.Get("secret") == "true" {
				names[f.Tag.Get("koanf")] = true
			}
			if ft.Kind() == reflect.Struct && ft.PkgPath() != "time" {
				walk(ft)
			}
		}
	}
	walk(reflect.TypeFor[Config]())
	return names
})

// isSecret reports whether a config path ends in a secret field name.
func isSecret(path string) bool {
	if i := strings.LastIndexAny(path, ".]"); i >= 0 {
		path = path[i+1:]
	}
	return secretNames()[path]
}
