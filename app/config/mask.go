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
// secret (fields tagged secret:"true") replaced by Mask, the userinfo of
// every URL (url:"true") masked by RedactURL and the values of a MySQL
// parameter string (dsnparams:"true") masked but for the driver's own
// settings. It is the only form in which config is logged or served.
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
			switch {
			case f.Tag.Get("secret") == "true":
				if !fv.IsZero() {
					out[tag] = Mask
				} else {
					out[tag] = ""
				}
			case f.Tag.Get("url") == "true":
				out[tag] = RedactURL(fv.String())
			case f.Tag.Get("dsnparams") == "true":
				out[tag] = maskDSNParams(fv.String())
			default:
				out[tag] = maskValue(fv)
			}
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

// maskKinds are the ways a value is masked for display, weakest first.
const (
	shownPlain = iota
	shownURL
	shownParams
	shownSecret
)

// fieldMasks maps every config field name to how its value is masked. A
// name is looked up by the last segment of a key, so when fields of one
// name are masked differently in different sections, the strongest wins.
var fieldMasks = sync.OnceValue(func() map[string]int {
	kinds := map[string]int{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			ft := f.Type
			if ft.Kind() == reflect.Map {
				ft = ft.Elem()
			}
			kind := shownPlain
			switch {
			case f.Tag.Get("secret") == "true":
				kind = shownSecret
			case f.Tag.Get("dsnparams") == "true":
				kind = shownParams
			case f.Tag.Get("url") == "true":
				kind = shownURL
			}
			name := f.Tag.Get("koanf")
			kinds[name] = max(kinds[name], kind)
			if ft.Kind() == reflect.Struct && ft.PkgPath() != "time" {
				walk(ft)
			}
		}
	}
	walk(reflect.TypeFor[Config]())
	return kinds
})

// maskedText returns val, the value of the config key path, as it may be
// shown in an error or a log line.
func maskedText(path, val string) string {
	if i := strings.LastIndexAny(path, ".]"); i >= 0 {
		path = path[i+1:]
	}
	switch fieldMasks()[path] {
	case shownSecret:
		return Mask
	case shownParams:
		return maskDSNParams(val)
	case shownURL:
		return RedactURL(val)
	default:
		return val
	}
}
