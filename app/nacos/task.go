package nacos

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"
	xxl "github.com/xxl-job/xxl-job-executor-go"

	"gomicro/app/xxljob"
)

// RefreshTask returns refresh_nacos_config_task (the Python
// template's name, so existing admin jobs keep working): it reloads the
// config from Nacos and logs which keys changed, never their values.
// Errors are Refresh's, wrapped.
func RefreshTask(src *Client) xxljob.Handler {
	return func(ctx context.Context, _ *xxl.RunReq) (string, error) {
		ch, err := src.Refresh(ctx)
		if err != nil {
			return "", fmt.Errorf("refresh nacos config: %w", err)
		}
		log := zerolog.Ctx(ctx)
		if len(ch.Keys) == 0 {
			log.Info().Str("md5", ch.NewMD5).Msg("nacos config unchanged")
			return "config unchanged", nil
		}
		log.Info().Strs("keys", ch.Keys).Str("old_md5", ch.OldMD5).Str("new_md5", ch.NewMD5).
			Msg("nacos config changed")
		return fmt.Sprintf("config refreshed: %d keys changed: %v", len(ch.Keys), ch.Keys), nil
	}
}
