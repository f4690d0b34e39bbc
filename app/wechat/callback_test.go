package wechat_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gomicro/app/wechat"
)

func verifyURL(p peer, app, ts, echo string) *http.Request {
	nonce := "12345"
	q := url.Values{"signature": {sha1Sorted(p.token, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}, "echostr": {echo}}
	return httptest.NewRequest(http.MethodGet, "/wechat/"+app+"?"+q.Encode(), nil)
}

func TestURLVerification(t *testing.T) {
	e := newEnv(t, envOptions{yaml: accountYAML("")})
	now := strconv.FormatInt(time.Now().Unix(), 10)
	r := e.serve(verifyURL(shop, "shop", now, "echo-8731 &x"))
	if r.status != http.StatusOK || string(r.body) != "echo-8731 &x" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("verification: %d %q %s", r.status, r.body, r.header.Get("Content-Type"))
	}
	stale := strconv.FormatInt(time.Now().Add(-10*time.Minute).Unix(), 10)
	for name, tt := range map[string]struct {
		req    *http.Request
		status int
	}{
		"wrong token":      {verifyURL(peer{token: "other"}, "shop", now, "x"), http.StatusForbidden},
		"stale timestamp":  {verifyURL(shop, "shop", stale, "x"), http.StatusForbidden},
		"unknown account":  {verifyURL(shop, "nope", now, "x"), http.StatusNotFound},
		"bad account name": {verifyURL(shop, "no.dots", now, "x"), http.StatusNotFound},
	} {
		if r := e.serve(tt.req); r.status != tt.status || string(r.body) == "x" {
			t.Errorf("%s: %d %q, want %d", name, r.status, r.body, tt.status)
		}
	}
}

// kindsUnit replies with the reply type its text names.
func kindsUnit() wechat.Unit {
	return wechat.Unit{Name: "kinds", Order: 5, Common: true, Handle: func(_ context.Context, t *wechat.Turn) (*wechat.Reply, error) {
		switch t.Message.Content {
		case "text":
			return wechat.Text("文本 & <b>]]> done"), nil
		case "image":
			return wechat.Image("img-1"), nil
		case "voice":
			return wechat.Voice("voice-1"), nil
		case "video":
			return wechat.Video("vid-1", "标题", "desc"), nil
		case "music":
			return wechat.Music("song", "by", "http://m/1.mp3", "http://m/1hq.mp3", "thumb-1"), nil
		case "news":
			return wechat.News("headline", "body", "http://p/1.jpg", "http://a/1?x=1&y=2"), nil
		case "transfer":
			return wechat.Transfer("kf2001@gh"), nil
		}
		return nil, nil
	}}
}

func TestRepliesInEveryMode(t *testing.T) {
	e := newEnv(t, envOptions{yaml: accountYAML(""), units: []wechat.Unit{kindsUnit()}})
	var id atomic.Int64
	for _, m := range []mode{plainMode, compatibleMode, safeMode} {
		t.Run(string(m), func(t *testing.T) {
			send := func(content string) *replyXML {
				t.Helper()
				return shop.reply(t, m, e.serve(shop.request("shop", m, textMsg(content, id.Add(1)))))
			}
			if r := send("text"); r == nil || r.MsgType != "text" || r.Content != "文本 & <b>]]> done" {
				t.Errorf("text reply = %+v", r)
			}
			if r := send("image"); r == nil || r.MsgType != "image" || r.Image.MediaID != "img-1" {
				t.Errorf("image reply = %+v", r)
			}
			if r := send("voice"); r == nil || r.MsgType != "voice" || r.Voice.MediaID != "voice-1" {
				t.Errorf("voice reply = %+v", r)
			}
			if r := send("video"); r == nil || r.MsgType != "video" || r.Video.MediaID != "vid-1" || r.Video.Title != "标题" || r.Video.Description != "desc" {
				t.Errorf("video reply = %+v", r)
			}
			if r := send("music"); r == nil || r.MsgType != "music" || r.Music.Title != "song" || r.Music.MusicURL != "http://m/1.mp3" ||
				r.Music.HQMusicURL != "http://m/1hq.mp3" || r.Music.ThumbMediaID != "thumb-1" {
				t.Errorf("music reply = %+v", r)
			}
			if r := send("news"); r == nil || r.MsgType != "news" || r.ArticleCount != 1 || len(r.Articles) != 1 ||
				r.Articles[0].Title != "headline" || r.Articles[0].URL != "http://a/1?x=1&y=2" || r.Articles[0].PicURL != "http://p/1.jpg" {
				t.Errorf("news reply = %+v", r)
			}
			if r := send("transfer"); r == nil || r.MsgType != "transfer_customer_service" || r.TransInfo.KfAccount != "kf2001@gh" {
				t.Errorf("transfer reply = %+v", r)
			}
			if r := send("hello"); r == nil || r.Content != "world" {
				t.Errorf("keyword reply = %+v", r)
			}
			if r := send("nobody answers this"); r != nil {
				t.Errorf("no unit replied, yet the answer is %+v, not success", r)
			}
		})
	}
	if got := e.counter("shop", "text", wechat.OutcomeReplied); got != 3*8 {
		t.Errorf("replied = %v, want 24", got)
	}
	if got := e.counter("shop", "text", wechat.OutcomeSuccess); got != 3 {
		t.Errorf("success = %v, want 3", got)
	}
}

func TestOldKeyFallbackThroughEngine(t *testing.T) {
	// The account moved to otherKey; WeChat may still seal with the old.
	yaml := strings.Replace(accountYAML("      old_encoding_aes_key: "+testKey+"\n"), "encoding_aes_key: "+testKey, "encoding_aes_key: "+otherKey, 1)
	e := newEnv(t, envOptions{yaml: yaml})
	for i, key := range []string{testKey, otherKey} {
		p := peer{token: testToken, appID: testAppID, key: key}
		r := p.reply(t, safeMode, e.serve(p.request("shop", safeMode, textMsg("hello", int64(i+1)))))
		if r == nil || r.Content != "world" {
			t.Errorf("sealed with key %d: reply %+v", i, r)
		}
	}
	stranger := peer{token: testToken, appID: testAppID, key: strings.Repeat("Q", 43)}
	if r := e.serve(stranger.request("shop", safeMode, textMsg("hello", 9))); r.status != http.StatusBadRequest {
		t.Errorf("sealed with a third key: %d %s, want 400", r.status, r.body)
	}
}

// TestPythonSampleThroughEngine posts Sample.py's compatible-mode message,
// with its msg_signature, and gets the keyword's plaintext reply.
func TestPythonSampleThroughEngine(t *testing.T) {
	e := newEnv(t, envOptions{yaml: `wechat_oa:
  timestamp_skew: 0s
  accounts:
    sample:
      app_id: wx2c2769f8efd9abc2
      token: spamtest
      encoding_aes_key: abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG
      keywords: [{match: exact, pattern: abcdteT, reply: sample ok}]
`})
	const body = `<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId><Encrypt><![CDATA[hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=]]></Encrypt></xml>`
	q := url.Values{
		"signature": {sha1Sorted("spamtest", "1409735669", "1320562132")}, "timestamp": {"1409735669"}, "nonce": {"1320562132"},
		"encrypt_type": {"aes"}, "msg_signature": {"5d197aaffba7e9b25a30732f161a50dee96bd5fa"},
	}
	r := e.serve(httptest.NewRequest(http.MethodPost, "/wechat/sample?"+q.Encode(), strings.NewReader(body)))
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "<Content><![CDATA[sample ok]]></Content>") ||
		!strings.Contains(string(r.body), "<ToUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></ToUserName>") {
		t.Fatalf("Sample.py message: %d %s", r.status, r.body)
	}
	q.Set("msg_signature", strings.Repeat("0", 40))
	if r := e.serve(httptest.NewRequest(http.MethodPost, "/wechat/sample?"+q.Encode(), strings.NewReader(body))); r.status != http.StatusForbidden {
		t.Errorf("wrong msg_signature: %d %s", r.status, r.body)
	}
}

func TestBuiltinUnits(t *testing.T) {
	e := newEnv(t, envOptions{yaml: accountYAML(`      units: []
    regex:
      app_id: wx2
      token: ` + testToken + `
      keywords:
        - {match: regex, pattern: "^order #[0-9]+$", reply: "order found", priority: 5}
        - {match: contains, pattern: order, reply: "which order?", priority: 5}
        - {match: exact, pattern: "order #1", reply: "the first", priority: 5}
`)})
	send := func(app, msg string) string {
		t.Helper()
		r := e.serve(shop.request(app, plainMode, msg))
		if string(r.body) == "success" {
			return ""
		}
		out := shop.reply(t, plainMode, r)
		return out.Content
	}
	voice := `<xml><ToUserName><![CDATA[` + ghID + `]]></ToUserName><FromUserName><![CDATA[` + openID + `]]></FromUserName><CreateTime>1</CreateTime>` +
		`<MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[m]]></MediaId><Format><![CDATA[amr]]></Format><Recognition><![CDATA[hello]]></Recognition><MsgId>77</MsgId></xml>`
	if got := send("shop", voice); got != "world" {
		t.Errorf("voice with Recognition \"hello\" = %q, want the keyword's world", got)
	}
	if got := send("shop", eventMsg("subscribe", "qrscene_42")); got != "欢迎关注" {
		t.Errorf("subscribe = %q, want the welcome text", got)
	}
	if got := send("shop", textMsg("  price list ", 78)); got != "see the menu" {
		t.Errorf("prefix rule = %q", got)
	}
	// Equal priorities: exact before contains before regex.
	for i, tt := range []struct{ text, want string }{{"order #1", "the first"}, {"order #2", "which order?"}, {"my order", "which order?"}} {
		if got := send("regex", textMsg(tt.text, int64(100+i))); got != tt.want {
			t.Errorf("%q = %q, want %q", tt.text, got, tt.want)
		}
	}
	if got := e.counter("shop", "voice", wechat.OutcomeReplied); got != 1 {
		t.Errorf("voice counted under its own type %v times, want 1", got)
	}
}

func TestUnknownTypeReachesUnits(t *testing.T) {
	var seen atomic.Value
	unit := wechat.Unit{Name: "raw", Order: 1, Common: true, Handle: func(_ context.Context, t *wechat.Turn) (*wechat.Reply, error) {
		seen.Store(t.Message.Get("Page.Title") + "|" + t.Message.MsgType)
		return nil, nil
	}}
	e := newEnv(t, envOptions{yaml: accountYAML(""), units: []wechat.Unit{unit}})
	msg := `<xml><ToUserName>` + ghID + `</ToUserName><FromUserName>` + openID + `</FromUserName><CreateTime>5</CreateTime>` +
		`<MsgType>miniprogrampage</MsgType><Page><Title>小程序</Title></Page><MsgId>5</MsgId></xml>`
	if r := e.serve(shop.request("shop", plainMode, msg)); string(r.body) != "success" {
		t.Fatalf("answer %d %s", r.status, r.body)
	}
	if seen.Load() != "小程序|miniprogrampage" {
		t.Errorf("unit saw %v", seen.Load())
	}
	if e.counter("shop", "other", wechat.OutcomeSuccess) != 1 {
		t.Error("an unknown type is not counted as type other")
	}
}
