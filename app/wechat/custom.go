package wechat

import (
	"context"
	"errors"
	"fmt"
	"net/url"
)

// ErrNotSendable is returned for a reply the customer-service API cannot
// carry (transfer_customer_service exists only as a passive reply).
var ErrNotSendable = errors.New("reply type cannot go through the customer-service API")

// Send delivers r to the user openid of the account app through the
// customer-service API (message/custom/send), which WeChat accepts within
// 48 hours of the user's last message. A refused token (40001, 40014,
// 42001) is refreshed once and the send retried. Errors: ErrUnknownAccount,
// ErrNoCustomAPI (no app_secret), ErrNotSendable, an *APIError, or the
// network's.
func (s *Service) Send(ctx context.Context, app, openid string, r *Reply) error {
	acc, err := s.accounts.find(ctx, app)
	if err != nil {
		return err
	}
	return s.send(ctx, acc, openid, r)
}

func (s *Service) send(ctx context.Context, acc *Account, openid string, r *Reply) error {
	if acc.AppSecret == "" {
		return ErrNoCustomAPI
	}
	body, err := customBody(openid, r)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		tok, err := s.tokens.get(ctx, acc)
		if err != nil {
			return fmt.Errorf("send to %s: %w", acc.Name, err)
		}
		err = s.api.post(ctx, "custom_send", "/cgi-bin/message/custom/send", url.Values{"access_token": {tok}}, body, nil)
		if err == nil || attempt > 0 || !tokenExpired(err) {
			if err != nil {
				return fmt.Errorf("send to %s: %w", acc.Name, err)
			}
			return nil
		}
		if err := s.tokens.invalidate(ctx, acc, tok); err != nil {
			return fmt.Errorf("send to %s: %w", acc.Name, err)
		}
	}
}

// customBody is r as message/custom/send's JSON.
func customBody(openid string, r *Reply) (map[string]any, error) {
	var content map[string]any
	switch r.Type {
	case ReplyText, "":
		content = map[string]any{"content": r.Content}
	case ReplyImage, ReplyVoice:
		content = map[string]any{"media_id": r.MediaID}
	case ReplyVideo:
		content = map[string]any{"media_id": r.MediaID, "thumb_media_id": r.ThumbMediaID, "title": r.Title, "description": r.Description}
	case ReplyMusic:
		content = map[string]any{"title": r.Title, "description": r.Description, "musicurl": r.MusicURL, "hqmusicurl": r.HQMusicURL, "thumb_media_id": r.ThumbMediaID}
	case ReplyNews:
		content = map[string]any{"articles": []map[string]any{{"title": r.Title, "description": r.Description, "url": r.URL, "picurl": r.PicURL}}}
	default:
		return nil, fmt.Errorf("%w: %s", ErrNotSendable, r.Type)
	}
	msgType := r.Type
	if msgType == "" {
		msgType = ReplyText
	}
	return map[string]any{"touser": openid, "msgtype": msgType, msgType: content}, nil
}
