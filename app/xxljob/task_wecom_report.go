package xxljob

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rs/zerolog"
	xxl "github.com/xxl-job/xxl-job-executor-go"
)

// notifier is what wecom_report_task needs from the WeCom module: a text
// message to the default robot.
type notifier interface {
	SendText(ctx context.Context, text string) error
}

// WecomReport returns wecom_report_task: it sends its params as text to the
// default WeCom robot. Errors: empty params, or the sender's error wrapped.
func WecomReport(robot notifier) Handler {
	return func(ctx context.Context, req *xxl.RunReq) (string, error) {
		text := strings.TrimSpace(req.ExecutorParams)
		if text == "" {
			return "", errors.New("wecom_report_task: params (the text to send) are empty")
		}
		if err := robot.SendText(ctx, text); err != nil {
			return "", fmt.Errorf("send wecom report: %w", err)
		}
		zerolog.Ctx(ctx).Info().Int("chars", len([]rune(text))).Msg("wecom report sent")
		return "wecom report sent", nil
	}
}
