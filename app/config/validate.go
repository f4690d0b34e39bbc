package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	_ "time/tzdata" // app.timezone must resolve on minimal images too

	"github.com/go-playground/validator/v10"
)

// validate checks the struct tags and reports every offending key by its
// config path ("server.port"), never by its Go field name.
func validate(cfg *Config) error {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("koanf"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	err := v.Struct(cfg)
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err
	}
	msgs := make([]string, 0, len(verrs))
	for _, fe := range verrs {
		key := strings.TrimPrefix(fe.Namespace(), "Config.")
		msgs = append(msgs, fmt.Sprintf("%s: %s", key, describe(fe, isSecret(key))))
	}
	return errors.New(strings.Join(msgs, "; "))
}

func describe(fe validator.FieldError, secret bool) string {
	val := fmt.Sprint(fe.Value())
	if secret {
		val = Mask
	}
	if fe.Param() != "" {
		return fmt.Sprintf("fails %q=%s (got %q)", fe.Tag(), fe.Param(), val)
	}
	return fmt.Sprintf("fails %q (got %q)", fe.Tag(), val)
}
