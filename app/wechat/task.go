package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	xxl "github.com/xxl-job/xxl-job-executor-go"

	"gomicro/app/xxljob"
)

// sendParams are wechat_send_task's executorParams.
type sendParams struct {
	Account string `json:"account"`
	OpenID  string `json:"openid"`
	Text    string `json:"text"`
}

// SendTask returns wechat_send_task: params {"account","openid","text"}
// send the text to the user through the customer-service API. Errors: bad
// params, or Send's.
func SendTask(s *Service) xxljob.Handler {
	return func(ctx context.Context, req *xxl.RunReq) (string, error) {
		var p sendParams
		dec := json.NewDecoder(strings.NewReader(req.ExecutorParams))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return "", fmt.Errorf("wechat_send_task params: %w", err)
		}
		if p.Account == "" || p.OpenID == "" || p.Text == "" {
			return "", errors.New("wechat_send_task params: account, openid and text are required")
		}
		if err := s.Send(ctx, p.Account, p.OpenID, Text(p.Text)); err != nil {
			return "", fmt.Errorf("wechat_send_task: %w", err)
		}
		return "sent to " + p.OpenID + " of " + p.Account, nil
	}
}
