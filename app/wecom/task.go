package wecom

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rs/zerolog"
	xxl "github.com/xxl-job/xxl-job-executor-go"

	"gomicro/app/xxljob"
)

// ReportTask returns wecom_report_task: it sends its params as text to the
// default robot and waits for WeCom's answer, so the run's result says
// whether WeCom accepted the message. Errors: empty params, or
// the sender's error wrapped (an unknown robot, an *wecom.APIError, the
// run's cancellation).
func ReportTask(robots *Client) xxljob.Handler {
	return func(ctx context.Context, req *xxl.RunReq) (string, error) {
		text := strings.TrimSpace(req.ExecutorParams)
		if text == "" {
			return "", errors.New("wecom_report_task: params (the text to send) are empty")
		}
		if err := robots.SendSync(ctx, DefaultRobot, Text{Content: text}); err != nil {
			return "", fmt.Errorf("send wecom report: %w", err)
		}
		zerolog.Ctx(ctx).Info().Int("chars", len([]rune(text))).Msg("wecom report sent")
		return "wecom report sent", nil
	}
}
