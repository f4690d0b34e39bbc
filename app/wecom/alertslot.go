package wecom

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"

	"github.com/rs/zerolog"

	"gomicro/app/config"
)

// AlertSlot is a zerolog.Hook that forwards to an Alerter set later. A
// binary attaches it to its root logger before anything logs, so every
// logger derived from the root reports (Nacos, the database, requests,
// job runs), although the Alerter needs a WeCom client built afterwards.
// The zero value forwards nowhere.
type AlertSlot struct {
	a atomic.Pointer[Alerter]
}

// Run implements zerolog.Hook.
func (s *AlertSlot) Run(e *zerolog.Event, level zerolog.Level, msg string) {
	if a := s.a.Load(); a != nil {
		a.Run(e, level, msg)
	}
}

// StartAlerts starts an Alerter for cfg.WeChat.Alert and puts it in the
// slot; with alerts disabled it returns nil and nil. Its own work logs
// through ctx; the Alerter ignores its own "wecom …" lines, so a failing
// alert cannot alert. The error wraps ErrUnknownRobot (and config.ErrInvalid)
// when the alert robot is not configured.
func (s *AlertSlot) StartAlerts(ctx context.Context, client *Client, cfg *config.Config) (*Alerter, error) {
	if !cfg.WeChat.Alert.Enabled {
		return nil, nil
	}
	host, _ := os.Hostname()
	a, err := NewAlerter(ctx, client, cfg.WeChat.Alert, AlertInfo{Service: cfg.App.Name, Env: cfg.Env, Host: host}, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", config.ErrInvalid, err)
	}
	s.a.Store(a)
	return a, nil
}
