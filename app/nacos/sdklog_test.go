package nacos

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// Message shapes the SDK really logs, with SECRET where a secret goes.
var sdkShapes = []string{
	"[config_rpc_client] [data-received] dataId=a.yaml, group=G, tenant=, md5=abc, content=SECRET, type=yaml",
	"[config_rpc_client] [data-received] dataId=a.yaml, group=G, tenant=, md5=abc, content=db:\n  password: SECRET, more, type=yaml",
	`Send request fail, request=ConfigPublishRequest, body={"requestId":"","group":"G","dataId":"a","tenant":"","module":"config","content":"SECRET","casMd5":""}, retryTimes=0, error=x`,
	`request method[POST],request path[http://n:8848/nacos/v1/auth/login],header:[{}],params:[{"password":"SECRET","username":"SECRET"}],err:dial tcp: refused`,
	`api</v1/cs/configs>,method:<GET>, params:<{"accessToken":"SECRET","dataId":"a"}>, call domain error:<x> , result:<>`,
	`grpc request nacos server success, request=&{Metadata:map[accessToken:SECRET] Body:x}, response={"content":"SECRET"`,
	`body={\"password\":\"SECRET\",\"x\":1}`,
	"login success, accessToken=SECRET tokenTtl: 18000 seconds",
}

func TestRedactRemovesSecretsFromSDKLines(t *testing.T) {
	for _, shape := range sdkShapes {
		t.Run(shape[:20], func(t *testing.T) {
			got := redact(strings.ReplaceAll(shape, "SECRET", "hunter2pass"))
			if strings.Contains(got, "hunter2pass") {
				t.Errorf("secret survived:\n%s", got)
			}
		})
	}
	if got := redact("connect to server 127.0.0.1:9848 ok"); got != "connect to server 127.0.0.1:9848 ok" {
		t.Errorf("harmless line changed: %q", got)
	}
}

var alnum = regexp.MustCompile(`^[A-Za-z0-9]{6,}$`)

// FuzzRedact checks that no secret made of letters and digits survives in
// any of the SDK's message shapes, and that redact never panics on
// arbitrary text.
func FuzzRedact(f *testing.F) {
	f.Add("hunter2pass", 0)
	f.Add("p4ss", 3)
	f.Fuzz(func(t *testing.T, secret string, shape int) {
		out := redact(secret) // arbitrary text: must not panic
		_ = out
		if !alnum.MatchString(secret) || strings.Contains(sdkShapesJoined, secret) {
			return
		}
		msg := strings.ReplaceAll(sdkShapes[uint(shape)%uint(len(sdkShapes))], "SECRET", secret)
		if got := redact(msg); strings.Contains(got, secret) {
			t.Fatalf("secret %q survived in %q", secret, got)
		}
	})
}

var sdkShapesJoined = strings.Join(sdkShapes, "\n") + redacted

func TestSDKLoggerLevels(t *testing.T) {
	var buf bytes.Buffer
	l := newSDKLogger(zerolog.New(&buf).Level(zerolog.TraceLevel))
	l.Infof("connected %d", 1)
	l.Debugf("payload %s", "x")
	l.Debug("payload")
	l.Warn("read cache file failed. cause file doesn't exist, file path: x")
	l.Warnf("fail to connect %s", "n")
	l.Errorf("request fail body=%s", `{"password":"pw123456"}`)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{`"level":"debug"`, `"level":"debug"`, `"level":"warn"`, `"level":"error"`}
	if len(lines) != len(want) {
		t.Fatalf("lines:\n%s\nwant %d (SDK debug dropped)", buf.String(), len(want))
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) || !strings.Contains(lines[i], `"component":"nacos-sdk"`) {
			t.Errorf("line %d = %s, want %s from component nacos-sdk", i, lines[i], w)
		}
	}
	if strings.Contains(buf.String(), "pw123456") {
		t.Error("password reached the log")
	}
	if err := l.Close(); err != nil {
		t.Error(fmt.Sprint("Close: ", err))
	}
}
