package xxljob

import (
	"context"
	"time"

	"github.com/rs/zerolog"
	xxl "github.com/xxl-job/xxl-job-executor-go"
)

const registryGroup = "EXECUTOR"

func (e *Executor) registration() xxl.Registry {
	return xxl.Registry{RegistryGroup: registryGroup, RegistryKey: e.cfg.AppName, RegistryValue: e.address}
}

// registryLoop registers at once and then every Beat; the admin drops an
// executor it has not heard from for three beats.
func (e *Executor) registryLoop(ctx context.Context) {
	defer e.loops.Done()
	if len(e.admin.urls) == 0 {
		return
	}
	log := zerolog.Ctx(ctx)
	t := time.NewTicker(e.opts.Beat)
	defer t.Stop()
	failing := false
	for {
		err := e.admin.post(ctx, "api/registry", e.registration())
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn().Err(err).Msg("xxl-job registry failed on every admin")
			failing = true
		case err == nil && failing:
			log.Info().Msg("xxl-job registry accepted again")
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// registryRemove tells the admins this executor is going away, so no new
// trigger is routed to it while it drains.
func (e *Executor) registryRemove(ctx context.Context) {
	if len(e.admin.urls) == 0 {
		return
	}
	if err := e.admin.post(ctx, "api/registryRemove", e.registration()); err != nil {
		zerolog.Ctx(e.base).Warn().Err(err).Msg("xxl-job registryRemove failed on every admin")
		return
	}
	zerolog.Ctx(e.base).Info().Msg("xxl-job executor deregistered")
}
