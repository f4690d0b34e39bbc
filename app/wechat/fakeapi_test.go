package wechat_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// fakeWeChat speaks WeChat's API as the module uses it: POST
// /cgi-bin/stable_token hands out tokens T1, T2, … and POST
// /cgi-bin/message/custom/send accepts a message for a token it has not
// expired, answering errcode 42001 otherwise (and 40013 for a wrong
// appid or secret).
type fakeWeChat struct {
	srv    *httptest.Server
	appID  string
	secret string

	mu          sync.Mutex
	issued      int
	expired     map[string]bool
	tokenAsks   []map[string]any
	sends       []customSend
	sendTokens  []string
	delivered   chan customSend
	expireFirst bool
	// expiredCode answers a send with an expired token; 0 means 42001.
	expiredCode int
	// sendCode, when set, answers every send with this errcode.
	sendCode int
	// hold, when set, keeps stable_token from answering until it closes.
	hold chan struct{}
}

// customSend is one message/custom/send body.
type customSend struct {
	ToUser  string                                           `json:"touser"`
	MsgType string                                           `json:"msgtype"`
	Text    struct{ Content string }                         `json:"text"`
	Image   struct{ MediaID string }                         `json:"image"`
	News    struct{ Articles []struct{ Title, URL string } } `json:"news"`
}

func newFakeWeChat(t testing.TB, appID, secret string) *fakeWeChat {
	f := &fakeWeChat{appID: appID, secret: secret, expired: map[string]bool{}, delivered: make(chan customSend, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /cgi-bin/stable_token", f.stableToken)
	mux.HandleFunc("POST /cgi-bin/message/custom/send", f.customSend)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeWeChat) stableToken(w http.ResponseWriter, r *http.Request) {
	var req map[string]any
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, map[string]any{"errcode": 47001, "errmsg": "data format error"})
		return
	}
	f.mu.Lock()
	f.tokenAsks = append(f.tokenAsks, req)
	hold := f.hold
	f.mu.Unlock()
	if hold != nil {
		<-hold
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if req["grant_type"] != "client_credential" || req["appid"] != f.appID || req["secret"] != f.secret || req["force_refresh"] != false {
		writeJSON(w, map[string]any{"errcode": 40013, "errmsg": "invalid appid"})
		return
	}
	f.issued++
	tok := "T" + strconv.Itoa(f.issued)
	if f.expireFirst && f.issued == 1 {
		f.expired[tok] = true // expires before its first use
	}
	writeJSON(w, map[string]any{"access_token": tok, "expires_in": 7200})
}

func (f *fakeWeChat) customSend(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("access_token")
	var msg customSend
	if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
		writeJSON(w, map[string]any{"errcode": 47001, "errmsg": "data format error"})
		return
	}
	f.mu.Lock()
	f.sendTokens = append(f.sendTokens, tok)
	known := tok != "" && tok[0] == 'T' && !f.expired[tok]
	if known && f.sendCode == 0 {
		f.sends = append(f.sends, msg)
	}
	code, sendCode := f.expiredCode, f.sendCode
	f.mu.Unlock()
	if code == 0 {
		code = 42001
	}
	switch {
	case !known:
		writeJSON(w, map[string]any{"errcode": code, "errmsg": "access_token expired or invalid"})
		return
	case sendCode != 0:
		writeJSON(w, map[string]any{"errcode": sendCode, "errmsg": "refused"})
		return
	}
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok"})
	f.delivered <- msg
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeWeChat) snapshot() (asks int, sendTokens []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.tokenAsks), append([]string(nil), f.sendTokens...)
}
