package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestSIGTERMClosesChatSocketsWith1001 runs the real binary on the
// embedded default: an account, a chat and a socket through the shipped
// module list; SIGTERM ends the socket with 1001 after the drain and the
// process exits 0.
func TestSIGTERMClosesChatSocketsWith1001(t *testing.T) {
	cmd, lines := serverProcess(t, nil, testEnviron(t))
	base := "http://" + lines.wait(t, "listening", 10*time.Second)["addr"].(string)
	call := func(path, token, body string, want int) []byte {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, b)
		}
		return b
	}
	call("/api/v1/auth/users", "", `{"username":"sigterm","password":"password1"}`, http.StatusCreated)
	var tok struct{ Token string }
	_ = json.Unmarshal(call("/api/v1/auth/tokens", "", `{"username":"sigterm","password":"password1"}`, http.StatusCreated), &tok)
	var chat struct{ URI string }
	_ = json.Unmarshal(call("/api/v1/chats", tok.Token, "", http.StatusCreated), &chat)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/api/v1/chats/"+chat.URI+"/ws",
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + tok.Token}}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	if _, b, err := conn.Read(ctx); err != nil || !strings.Contains(string(b), `"presence"`) {
		t.Fatalf("first frame %s, %v", b, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_, _, err = conn.Read(ctx)
	if code := websocket.CloseStatus(err); code != websocket.StatusGoingAway {
		t.Fatalf("socket ended with %v (code %d), want 1001", err, code)
	}
	if code := exitCode(t, cmd); code != 0 {
		t.Fatalf("exit %d", code)
	}
}
