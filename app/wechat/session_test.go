package wechat_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"gomicro/app/redisclient/redistest"
	"gomicro/app/wechat"
)

// quizUnit is a two-step dialogue: "quiz" asks and pins the unit; the
// next message, whatever it says, is the answer, even one a keyword rule
// would take.
func quizUnit() wechat.Unit {
	return wechat.Unit{Name: "quiz", Order: 100, Common: true, Handle: func(_ context.Context, t *wechat.Turn) (*wechat.Reply, error) {
		s := t.Session
		if s.Get("asked") == "yes" {
			s.Delete("asked")
			t.Unpin()
			s.Set("answers", s.Get("answers")+"|"+t.Message.Content)
			return wechat.Text("you said " + t.Message.Content + "; all:" + s.Get("answers")), nil
		}
		if t.Message.Content == "quiz" {
			s.Set("asked", "yes")
			t.Pin()
			return wechat.Text("what is 6×7?"), nil
		}
		return nil, nil
	}}
}

// dialogue alternates the messages between the instances given.
func dialogue(t *testing.T, envs ...*env) {
	steps := []struct{ text, want string }{
		{"quiz", "what is 6×7?"},
		{"hello", "you said hello; all:|hello"}, // pinned: before the keyword rule
		{"hello", "world"},                      // unpinned: the keyword again
		{"quiz", "what is 6×7?"},
		{"42", "you said 42; all:|hello|42"},
	}
	for i, s := range steps {
		e := envs[i%len(envs)]
		r := shop.reply(t, plainMode, e.serve(shop.request("shop", plainMode, textMsg(s.text, int64(700+i)))))
		if r == nil || r.Content != s.want {
			t.Fatalf("step %d %q: %+v, want %q", i, s.text, r, s.want)
		}
	}
}

func TestSessionPinsInProcess(t *testing.T) {
	e := newEnv(t, envOptions{yaml: accountYAML(""), units: []wechat.Unit{quizUnit()}})
	dialogue(t, e)
}

func TestSessionsShareRedis(t *testing.T) {
	rcfg := redistest.Config(t)
	opts := envOptions{yaml: accountYAML("") + "  session_ttl: 90s\n", redis: &rcfg, units: []wechat.Unit{quizUnit()}}
	one, two := newEnv(t, opts), newEnv(t, opts)
	dialogue(t, one, two)
	rc := redistest.Client(t, rcfg)
	key := rcfg.KeyPrefix + "wechat:session:shop:" + openID
	ttl := rc.PTTL(t.Context(), key).Val()
	if ttl <= 80*time.Second || ttl > 90*time.Second {
		t.Errorf("session %s lives %v more, want about session_ttl 90s", key, ttl)
	}
	if v := rc.Get(t.Context(), key).Val(); !strings.Contains(v, "|hello|42") {
		t.Errorf("stored session = %q", v)
	}
}
