package wechat

import (
	"context"
	"strings"
)

// voiceTextUnit passes a recognised voice message on as text of its
// words, so the units after it match on them.
func voiceTextUnit() Unit {
	return Unit{Name: "voice_text", Order: OrderVoiceText, Common: true, Quick: true, Handle: func(_ context.Context, t *Turn) (*Reply, error) {
		m := t.Message
		if m.MsgType == TypeVoice && strings.TrimSpace(m.Recognition) != "" {
			m.MsgType = TypeText
			m.Content = m.Recognition
		}
		return nil, nil
	}}
}

// welcomeUnit answers a subscribe event with the account's welcome text.
func welcomeUnit() Unit {
	return Unit{Name: "welcome", Order: OrderWelcome, Common: true, Quick: true, Handle: func(_ context.Context, t *Turn) (*Reply, error) {
		if t.Message.IsEvent(EventSubscribe) && t.Account.Welcome != "" {
			return Text(t.Account.Welcome), nil
		}
		return nil, nil
	}}
}

// keywordUnit answers text with the reply of the account's first matching
// rule, the rules already in their order.
func keywordUnit() Unit {
	return Unit{Name: "keyword", Order: OrderKeyword, Common: true, Quick: true, Handle: func(_ context.Context, t *Turn) (*Reply, error) {
		if t.Message.MsgType != TypeText || len(t.Account.Rules) == 0 {
			return nil, nil
		}
		text := strings.TrimSpace(t.Message.Content)
		for i := range t.Account.Rules {
			if r := &t.Account.Rules[i]; r.matches(text) {
				return r.reply, nil
			}
		}
		return nil, nil
	}}
}
