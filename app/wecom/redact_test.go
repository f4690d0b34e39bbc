package wecom_test

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"gomicro/app/config"
	"gomicro/app/wecom"
)

// A userinfo in wechat.robot_base_url is masked in a send error, in every
// cause ErrorText walks and in the log, as the robot key is.
func TestBaseURLUserinfoMaskedInErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	_ = l.Close()
	for name, base := range map[string]string{"password": "http://u:secret@" + refused, "token": "http://t0ken-secret@" + refused} {
		t.Run(name, func(t *testing.T) {
			ctx, logs := logCtx(t)
			c, err := wecom.New(ctx, config.WeChat{
				RobotBaseURL:   base,
				RobotTemplates: map[string]config.RobotTemplate{"DEFAULT": {Key: testKey}},
			}, wecom.Options{Attempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(ctx)
			sendErr := c.SendSync(ctx, "", wecom.Text{Content: "x"})
			if !errors.Is(sendErr, syscall.ECONNREFUSED) {
				t.Fatalf("SendSync = %v, want a refused connection still matched by errors.Is", sendErr)
			}
			for _, shown := range []string{sendErr.Error(), wecom.ErrorText(sendErr, 1), logs.String()} {
				if strings.Contains(shown, "secret") || strings.Contains(shown, testKey) {
					t.Errorf("userinfo or key visible in:\n%s", shown)
				}
			}
			if msg := sendErr.Error(); !strings.Contains(msg, "******@127.0.0.1") || !strings.Contains(msg, "key=******") {
				t.Errorf("SendSync error %q should show the URL masked", msg)
			}
		})
	}
}

func TestBadBaseURLErrorHidesUserinfo(t *testing.T) {
	ctx, _ := logCtx(t)
	_, err := wecom.New(ctx, config.WeChat{RobotBaseURL: "ftp://u:secret@host"}, wecom.Options{})
	if !errors.Is(err, config.ErrInvalid) || strings.Contains(err.Error(), "secret") {
		t.Fatalf("New = %v, want ErrInvalid without the password", err)
	}
}
