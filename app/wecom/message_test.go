package wecom_test

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"gomicro/app/wecom"
)

// TestMessageShapes checks each message type's JSON against WeCom's
// documented body, field for field.
func TestMessageShapes(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n fake image bytes")
	sum := md5.Sum(png)
	tests := []struct {
		name string
		msg  wecom.Message
		want string
	}{
		{"text", wecom.Text{Content: "广州今日天气：29度", MentionedList: []string{"wangqing", wecom.MentionAll}, MentionedMobileList: []string{"13800001111", "@all"}},
			`{"msgtype":"text","text":{"content":"广州今日天气：29度","mentioned_list":["wangqing","@all"],"mentioned_mobile_list":["13800001111","@all"]}}`},
		{"text without mentions", wecom.Text{Content: "hello"},
			`{"msgtype":"text","text":{"content":"hello"}}`},
		{"markdown", wecom.Markdown{Content: "实时新增用户反馈<font color=\"warning\">132例</font>"},
			`{"msgtype":"markdown","markdown":{"content":"实时新增用户反馈<font color=\"warning\">132例</font>"}}`},
		{"markdown_v2", wecom.MarkdownV2{Content: "| a | b |\n| :- | -: |\n| 1 | 2 |"},
			`{"msgtype":"markdown_v2","markdown_v2":{"content":"| a | b |\n| :- | -: |\n| 1 | 2 |"}}`},
		{"image", wecom.Image{Data: png},
			`{"msgtype":"image","image":{"base64":"` + base64.StdEncoding.EncodeToString(png) + `","md5":"` + hex.EncodeToString(sum[:]) + `"}}`},
		{"news", wecom.News{Articles: []wecom.Article{
			{Title: "中秋节礼品领取", Description: "今年中秋节公司有豪礼相送", URL: "https://www.qq.com", PicURL: "https://res.mail.qq.com/a.png"},
			{Title: "second", URL: "https://example.com/2"},
		}},
			`{"msgtype":"news","news":{"articles":[{"title":"中秋节礼品领取","description":"今年中秋节公司有豪礼相送","url":"https://www.qq.com","picurl":"https://res.mail.qq.com/a.png"},{"title":"second","url":"https://example.com/2"}]}}`},
		{"file by media_id", wecom.File{MediaID: "3a8asd892asd8asd"},
			`{"msgtype":"file","file":{"media_id":"3a8asd892asd8asd"}}`},
		{"template_card text_notice", wecom.TextNotice{
			Source:                &wecom.CardSource{IconURL: "https://wework.qpic.cn/a.png", Desc: "企业微信", DescColor: 2},
			MainTitle:             &wecom.CardTitle{Title: "欢迎使用企业微信", Desc: "您的好友正在邀请您加入企业微信"},
			EmphasisContent:       &wecom.CardTitle{Title: "100", Desc: "数据含义"},
			QuoteArea:             &wecom.CardQuote{Type: 1, URL: "https://work.weixin.qq.com/?from=openApi", Title: "引用文本标题", QuoteText: "Jack：企业微信真的很好用~"},
			SubTitleText:          "下载企业微信还能抢红包！",
			HorizontalContentList: []wecom.HorizontalContent{{KeyName: "邀请人", Value: "张三"}, {Type: 1, KeyName: "企微官网", Value: "点击访问", URL: "https://work.weixin.qq.com/?from=openApi"}},
			JumpList:              []wecom.CardJump{{Type: 1, URL: "https://work.weixin.qq.com/?from=openApi", Title: "企业微信官网"}},
			CardAction:            wecom.CardAction{Type: 1, URL: "https://work.weixin.qq.com/?from=openApi"},
		},
			`{"msgtype":"template_card","template_card":{"card_type":"text_notice",
			"source":{"icon_url":"https://wework.qpic.cn/a.png","desc":"企业微信","desc_color":2},
			"main_title":{"title":"欢迎使用企业微信","desc":"您的好友正在邀请您加入企业微信"},
			"emphasis_content":{"title":"100","desc":"数据含义"},
			"quote_area":{"type":1,"url":"https://work.weixin.qq.com/?from=openApi","title":"引用文本标题","quote_text":"Jack：企业微信真的很好用~"},
			"sub_title_text":"下载企业微信还能抢红包！",
			"horizontal_content_list":[{"keyname":"邀请人","value":"张三"},{"keyname":"企微官网","value":"点击访问","type":1,"url":"https://work.weixin.qq.com/?from=openApi"}],
			"jump_list":[{"type":1,"url":"https://work.weixin.qq.com/?from=openApi","title":"企业微信官网"}],
			"card_action":{"type":1,"url":"https://work.weixin.qq.com/?from=openApi"}}}`},
	}
	s := newSetup(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.wecom.count()
			if err := s.client.SendSync(s.ctx, "DEFAULT", tt.msg); err != nil {
				t.Fatalf("SendSync: %v", err)
			}
			reqs := s.wecom.requests()[before:]
			if len(reqs) != 1 {
				t.Fatalf("got %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Path != "/cgi-bin/webhook/send" || r.Key != testKey {
				t.Errorf("request to %s with the wrong key", r.Path)
			}
			jsonEqual(t, r.Body, tt.want)
		})
	}
}

// TestFileUpload checks that a file is uploaded through upload_media as
// WeCom documents it, then sent by the media_id it answered.
func TestFileUpload(t *testing.T) {
	s := newSetup(t, nil)
	data := []byte("日报 2026-11-22: all jobs green\n")
	if err := s.client.SendSync(s.ctx, "DEFAULT", wecom.File{Name: "report.txt", Data: data}); err != nil {
		t.Fatalf("SendSync: %v", err)
	}
	reqs := s.wecom.requests()
	if len(reqs) != 2 {
		t.Fatalf("got %d requests, want upload + send", len(reqs))
	}
	up := reqs[0]
	if up.Path != "/cgi-bin/webhook/upload_media" || up.Upload == nil {
		t.Fatalf("first request %s is not an upload", up.Path)
	}
	if up.Key != testKey {
		t.Error("upload used the wrong key")
	}
	// upload_media wants the media type in the query; WeCom refuses an
	// upload without type=file.
	if got := up.Query["type"]; len(got) != 1 || got[0] != "file" {
		t.Errorf("upload query type = %q, want [\"file\"]", got)
	}
	if _, ok := reqs[1].Query["type"]; ok || reqs[1].Path != "/cgi-bin/webhook/send" {
		t.Errorf("second request %s?type=%q is not a plain send", reqs[1].Path, reqs[1].Query["type"])
	}
	if up.Upload.Field != "media" || up.Upload.Filename != "report.txt" || string(up.Upload.Data) != string(data) {
		t.Errorf("upload part = %q %q %q", up.Upload.Field, up.Upload.Filename, up.Upload.Data)
	}
	if !strings.Contains(up.Upload.Disposition, "filelength=") {
		t.Errorf("upload disposition %q lacks filelength", up.Upload.Disposition)
	}
	jsonEqual(t, reqs[1].Body, `{"msgtype":"file","file":{"media_id":"MEDIA-1"}}`)
}

// TestInvalidMessages checks that messages WeCom would refuse are refused
// before any request.
func TestInvalidMessages(t *testing.T) {
	articles := make([]wecom.Article, 9)
	for i := range articles {
		articles[i] = wecom.Article{Title: "t", URL: "https://example.com"}
	}
	tests := []struct {
		name string
		msg  wecom.Message
	}{
		{"empty text", wecom.Text{}},
		{"empty markdown", wecom.Markdown{}},
		{"empty image", wecom.Image{}},
		{"image over 2 MB", wecom.Image{Data: make([]byte, wecom.ImageLimit+1)}},
		{"no articles", wecom.News{}},
		{"nine articles", wecom.News{Articles: articles}},
		{"article without url", wecom.News{Articles: []wecom.Article{{Title: "t"}}}},
		{"file without name", wecom.File{Data: []byte("123456")}},
		{"file too small", wecom.File{Name: "a", Data: []byte("12345")}},
		{"card without title", wecom.TextNotice{CardAction: wecom.CardAction{Type: 1, URL: "https://x"}}},
		{"card without action", wecom.TextNotice{MainTitle: &wecom.CardTitle{Title: "t"}}},
		{"nil", nil},
	}
	s := newSetup(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.client.Send(s.ctx, "DEFAULT", tt.msg)
			if !errors.Is(err, wecom.ErrInvalidMessage) {
				t.Errorf("Send = %v, want ErrInvalidMessage", err)
			}
		})
	}
	if n := s.wecom.count(); n != 0 {
		t.Errorf("%d requests reached WeCom", n)
	}
	if err := s.client.Send(s.ctx, "nobody", wecom.Text{Content: "x"}); !errors.Is(err, wecom.ErrUnknownRobot) {
		t.Errorf("Send to unknown robot = %v, want ErrUnknownRobot", err)
	}
}
