package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	xxl "github.com/xxl-job/xxl-job-executor-go"
)

// ErrTaskFailed is what demo_task returns when its params ask it to fail.
var ErrTaskFailed = errors.New("demo_task failed as asked (fail=true)")

// demoParams are demo_task's executorParams.
type demoParams struct {
	SleepMS int  `json:"sleep_ms"`
	Fail    bool `json:"fail"`
	Lines   int  `json:"lines"`
}

// Task is demo_task: params JSON {"sleep_ms":int,"fail":bool,"lines":int}.
// It logs its shard, writes lines log lines, sleeps until sleep_ms passed or
// the run is cancelled, then fails when asked. Errors: bad params, the
// cancellation cause, ErrTaskFailed.
func Task(ctx context.Context, req *xxl.RunReq) (string, error) {
	var p demoParams
	if s := bytes.TrimSpace([]byte(req.ExecutorParams)); len(s) > 0 {
		dec := json.NewDecoder(bytes.NewReader(s))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return "", fmt.Errorf("demo_task params: %w", err)
		}
	}
	if p.SleepMS < 0 || p.Lines < 0 || p.Lines > 1_000_000 {
		return "", errors.New("demo_task params: sleep_ms must be >= 0 and lines in [0, 1000000]")
	}
	log := zerolog.Ctx(ctx)
	log.Info().Int64("shard_index", req.BroadcastIndex).Int64("shard_total", req.BroadcastTotal).
		Msgf("demo_task shard %d/%d", req.BroadcastIndex, req.BroadcastTotal)
	for i := 1; i <= p.Lines; i++ {
		log.Info().Int("line", i).Msg("demo_task line")
	}
	if p.SleepMS > 0 {
		t := time.NewTimer(time.Duration(p.SleepMS) * time.Millisecond)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			log.Warn().Err(context.Cause(ctx)).Msg("demo_task cancelled while sleeping")
			return "", fmt.Errorf("demo_task: %w", context.Cause(ctx))
		}
	}
	if p.Fail {
		return "", ErrTaskFailed
	}
	return fmt.Sprintf("demo_task ok: shard %d/%d, %d lines, slept %d ms",
		req.BroadcastIndex, req.BroadcastTotal, p.Lines, p.SleepMS), nil
}
