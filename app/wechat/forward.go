package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// maxForwardAnswer bounds what is read of a forward service's answer.
const maxForwardAnswer = 64 << 10

// ErrForward is the forward unit's failure: a non-2xx answer, a body that
// is not {"reply": "..."}, or no answer within wechat_oa.forward_timeout.
var ErrForward = errors.New("forward call failed")

// forwardRequest is what the forward unit POSTs. Raw holds every field of
// the message by path; a path repeated (items of a block) holds an array.
type forwardRequest struct {
	Account string         `json:"account"`
	OpenID  string         `json:"openid"`
	Type    string         `json:"type"`
	Content string         `json:"content"`
	Raw     map[string]any `json:"raw"`
}

type forwardAnswer struct {
	Reply string `json:"reply"`
}

// forwardUnit POSTs the message as JSON to the account's forward_url and
// replies with the answer's text; an empty reply is no reply.
func forwardUnit(client *http.Client, timeout func() time.Duration) Unit {
	return Unit{Name: "forward", Order: OrderForward, Handle: func(ctx context.Context, t *Turn) (*Reply, error) {
		if t.Account.ForwardURL == "" {
			return nil, nil
		}
		m := t.Message
		content := m.Content
		if m.MsgType == TypeEvent {
			content = m.EventKey
		}
		body, err := json.Marshal(forwardRequest{Account: t.Account.Name, OpenID: m.FromUserName, Type: m.MsgType, Content: content, Raw: rawFields(m.Fields)})
		if err != nil {
			return nil, fmt.Errorf("encode forward request: %w", err)
		}
		ctx, cancel := context.WithTimeout(ctx, timeout())
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.Account.ForwardURL, bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrForward, err)
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrForward, err)
		}
		defer res.Body.Close()
		raw, err := io.ReadAll(io.LimitReader(res.Body, maxForwardAnswer))
		if err != nil {
			return nil, fmt.Errorf("%w: read answer: %w", ErrForward, err)
		}
		if res.StatusCode < 200 || res.StatusCode > 299 {
			return nil, fmt.Errorf("%w: status %d", ErrForward, res.StatusCode)
		}
		var ans forwardAnswer
		if len(bytes.TrimSpace(raw)) > 0 {
			if err := json.Unmarshal(raw, &ans); err != nil {
				return nil, fmt.Errorf("%w: answer is not {\"reply\": ...}: %w", ErrForward, err)
			}
		}
		if ans.Reply == "" {
			return nil, nil
		}
		return Text(ans.Reply), nil
	}}
}

func rawFields(fields []Field) map[string]any {
	out := make(map[string]any, len(fields))
	for _, f := range fields {
		switch prev := out[f.Name].(type) {
		case nil:
			out[f.Name] = f.Value
		case string:
			out[f.Name] = []string{prev, f.Value}
		case []string:
			out[f.Name] = append(prev, f.Value)
		}
	}
	return out
}
