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
	v.RegisterStructValidation(alertRobotConfigured, WeChat{})
	registerWeChatOA(v)
	v.RegisterStructValidation(chatOriginsValid, Chat{})
	v.RegisterStructValidation(amqpURLValid, AMQP{})
	v.RegisterStructValidation(dispatchNeedsBrokers, Config{})
	err := v.Struct(cfg)
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err
	}
	msgs := make([]string, 0, len(verrs))
	for _, fe := range verrs {
		key := strings.TrimPrefix(fe.Namespace(), "Config.")
		msgs = append(msgs, fmt.Sprintf("%s: %s", key, describe(fe, key)))
	}
	return errors.New(strings.Join(msgs, "; "))
}

// alertRobotConfigured refuses alerts aimed at a robot that does not exist:
// such a config would load (and be snapshotted) yet fail the next start.
// The lookup is the WeCom client's: "" or DEFAULT (any case) ask for the
// robot configured as DEFAULT or "", other names must match exactly.
func alertRobotConfigured(sl validator.StructLevel) {
	w := sl.Current().Interface().(WeChat)
	if !w.Alert.Enabled {
		return
	}
	names := []string{w.Alert.Robot}
	if w.Alert.Robot == "" || strings.EqualFold(w.Alert.Robot, "DEFAULT") {
		names = []string{"DEFAULT", ""}
	}
	for _, name := range names {
		if r, ok := w.RobotTemplates[name]; ok && r.Key != "" {
			return
		}
	}
	sl.ReportError(w.Alert.Robot, "alert.robot", "Robot", "robot_configured", "")
}

func describe(fe validator.FieldError, key string) string {
	val := maskedText(key, fmt.Sprint(fe.Value()))
	if fe.Param() != "" {
		return fmt.Sprintf("fails %q=%s (got %q)", fe.Tag(), fe.Param(), val)
	}
	return fmt.Sprintf("fails %q (got %q)", fe.Tag(), val)
}
