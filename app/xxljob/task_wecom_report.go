package xxljob

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rs/zerolog"
	xxl "github.com/xxl-job/xxl-job-executor-go"

	"gomicro/app/wecom"
)

// notifier is what wecom_report_task needs from the WeCom module; a
// *wecom.Client is one. The send is synchronous so the run's result says
// whether WeCom accepted the message.
type notifier interface {
	SendSync(ctx context.Context, robot string, m wecom.Message) error
}

// WecomReport returns wecom_report_task: it sends its params as text to the
// default WeCom robot and waits for WeCom's answer. Errors: empty params, or
// the sender's error wrapped (an unknown robot, an *wecom.APIError, the
// run's cancellation).
func WecomReport(robots notifier) Handler {
	return func(ctx context.Context, req *xxl.RunReq) (string, error) {
		text := strings.TrimSpace(req.ExecutorParams)
		if text == "" {
			return "", errors.New("wecom_report_task: params (the text to send) are empty")
		}
		if err := robots.SendSync(ctx, wecom.DefaultRobot, wecom.Text{Content: text}); err != nil {
			return "", fmt.Errorf("send wecom report: %w", err)
		}
		zerolog.Ctx(ctx).Info().Int("chars", len([]rune(text))).Msg("wecom report sent")
		return "wecom report sent", nil
	}
}
