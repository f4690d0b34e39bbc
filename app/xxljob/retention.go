package xxljob

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"
)

// cleanLoop removes run-log day dirs older than log_retention_days at start
// and every CleanEvery; 0 days keeps them forever.
func (e *Executor) cleanLoop(ctx context.Context) {
	defer e.loops.Done()
	if e.cfg.LogRetentionDays <= 0 {
		return
	}
	t := time.NewTicker(e.opts.CleanEvery)
	defer t.Stop()
	for {
		e.cleanLogs(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// cleanLogs only touches dirs named like a day, so the callback spool and
// anything else under log_path is left alone.
func (e *Executor) cleanLogs(ctx context.Context) {
	now := e.opts.Now().In(e.opts.Location)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, e.opts.Location)
	oldest := today.AddDate(0, 0, -e.cfg.LogRetentionDays)
	entries, err := os.ReadDir(e.cfg.LogPath)
	if err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("xxl-job run log cleanup: cannot list log_path")
		return
	}
	for _, d := range entries {
		day, err := time.ParseInLocation(dayLayout, d.Name(), e.opts.Location)
		if !d.IsDir() || err != nil || !day.Before(oldest) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(e.cfg.LogPath, d.Name())); err != nil {
			zerolog.Ctx(ctx).Warn().Err(err).Str("dir", d.Name()).Msg("xxl-job run log cleanup failed")
			continue
		}
		zerolog.Ctx(ctx).Info().Str("dir", d.Name()).Msg("xxl-job run logs removed (retention)")
	}
}
