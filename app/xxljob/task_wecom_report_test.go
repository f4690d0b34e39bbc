package xxljob_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"gomicro/app/config"
	"gomicro/app/wecom"
	"gomicro/app/xxljob"
)

// fakeWecom plays the WeCom robot webhook: it records the text messages it
// accepts and refuses the key "revoked" with errcode 93000, as WeCom does.
type fakeWecom struct {
	srv  *httptest.Server
	mu   sync.Mutex
	sent []wecomSend
}

type wecomSend struct{ key, msgType, content string }

func newFakeWecom(t testing.TB) *fakeWecom {
	t.Helper()
	f := &fakeWecom{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeWecom) serve(w http.ResponseWriter, r *http.Request) {
	var msg struct {
		MsgType string `json:"msgtype"`
		Text    struct {
			Content string `json:"content"`
		} `json:"text"`
	}
	body, _ := io.ReadAll(r.Body)
	if r.URL.Path != "/cgi-bin/webhook/send" || json.Unmarshal(body, &msg) != nil {
		_, _ = w.Write([]byte(`{"errcode":40008,"errmsg":"invalid message type"}`))
		return
	}
	key := r.URL.Query().Get("key")
	if key == "revoked" {
		_, _ = w.Write([]byte(`{"errcode":93000,"errmsg":"invalid webhook url"}`))
		return
	}
	f.mu.Lock()
	f.sent = append(f.sent, wecomSend{key: key, msgType: msg.MsgType, content: msg.Text.Content})
	f.mu.Unlock()
	_, _ = w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
}

func (f *fakeWecom) received() []wecomSend {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]wecomSend(nil), f.sent...)
}

// newWecomClient returns a client for robots at f, closed at cleanup.
func newWecomClient(t testing.TB, f *fakeWecom, robots map[string]config.RobotTemplate) *wecom.Client {
	t.Helper()
	ctx := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel).WithContext(t.Context())
	c, err := wecom.New(ctx, config.WeChat{RobotBaseURL: f.srv.URL, RobotTemplates: robots}, wecom.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Errorf("close wecom client: %v", err)
		}
	})
	return c
}

func TestWecomReportSendsParamsToTheDefaultRobot(t *testing.T) {
	for _, tt := range []struct {
		name     string
		robots   map[string]config.RobotTemplate
		params   string
		wantCode int
		wantMsg  string
		wantSent []wecomSend
	}{
		{"sent", map[string]config.RobotTemplate{wecom.DefaultRobot: {Key: "k1"}}, "  nightly report: 42 items \n",
			200, "wecom report sent", []wecomSend{{"k1", "text", "nightly report: 42 items"}}},
		{"default robot spelled empty", map[string]config.RobotTemplate{"": {Key: "k2"}}, "hi",
			200, "wecom report sent", []wecomSend{{"k2", "text", "hi"}}},
		{"key refused by wecom", map[string]config.RobotTemplate{wecom.DefaultRobot: {Key: "revoked"}}, "hi",
			500, "errcode 93000", nil},
		{"no default robot", map[string]config.RobotTemplate{"ops": {Key: "k3"}}, "hi",
			500, "not configured", nil},
		{"empty params", map[string]config.RobotTemplate{wecom.DefaultRobot: {Key: "k4"}}, " ",
			500, "params (the text to send) are empty", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			admin := newFakeAdmin(t, testToken)
			robot := newFakeWecom(t)
			client := newWecomClient(t, robot, tt.robots)
			h := start(t, setup{admins: admin.srv.URL,
				tasks: map[string]xxljob.Handler{"wecom_report_task": wecom.ReportTask(client)}})

			h.mustTrigger(t, runReq(1, 301, "wecom_report_task", tt.params, "SERIAL_EXECUTION"))
			assertCallback(t, admin.awaitCallbacks(t, 301)[301], tt.wantCode, tt.wantMsg)
			if got := robot.received(); !slices.Equal(got, tt.wantSent) {
				t.Errorf("wecom received %+v, want %+v", got, tt.wantSent)
			}
		})
	}
}
