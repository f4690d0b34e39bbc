package demo

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"
	xxl "github.com/xxl-job/xxl-job-executor-go"

	"gomicro/app/xxljob"
)

// ItemsReportTask returns demo_items_report_task: it counts the demo items
// of this run's shard (id modulo broadcastTotal; one shard when the job is
// not broadcast) and returns the count. Errors are CountShard's, wrapped.
func ItemsReportTask(items *Service) xxljob.Handler {
	return func(ctx context.Context, req *xxl.RunReq) (string, error) {
		index, total := req.BroadcastIndex, max(req.BroadcastTotal, 1)
		n, err := items.CountShard(ctx, index, total)
		if err != nil {
			return "", fmt.Errorf("count demo items of shard %d/%d: %w", index, total, err)
		}
		zerolog.Ctx(ctx).Info().Int64("shard_index", index).Int64("shard_total", total).
			Int64("items", n).Msg("demo items counted")
		return fmt.Sprintf("shard %d/%d: %d items", index, total, n), nil
	}
}
