package wechat_test

import (
	"encoding/xml"
	"strings"
	"testing"
	"unicode/utf8"

	"gomicro/app/wechat"
)

// xmlText is what an XML parser reads back of s once written: characters
// XML cannot carry become U+FFFD, CR LF and CR become LF.
func xmlText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if !(r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000) {
			r = utf8.RuneError
		}
		b.WriteRune(r)
	}
	return strings.ReplaceAll(strings.ReplaceAll(b.String(), "\r\n", "\n"), "\r", "\n")
}

// FuzzEncodeReply writes replies of any text and reads them back with
// encoding/xml and with the scanner: both see the same text.
func FuzzEncodeReply(f *testing.F) {
	for _, s := range []string{"", "hello", "a ]]> b", "]]]]>>", "<&>'\"", "中文\r\n行", "\x00\x01\uFFFE", "\xff\xfe", "😀"} {
		f.Add(s, "news")
		f.Add(s, "text")
	}
	f.Fuzz(func(t *testing.T, s, kind string) {
		r := &wechat.Reply{Type: kind, Content: s, Title: s, Description: s, URL: s, PicURL: s, MediaID: s}
		body := wechat.EncodeReply(r, "to"+s, "from", 1)
		var std struct {
			ToUserName string `xml:"ToUserName"`
			Content    string `xml:"Content"`
			Title      string `xml:"Articles>item>Title"`
		}
		if err := xml.Unmarshal(body, &std); err != nil {
			t.Fatalf("encoding/xml refuses %q: %v", body, err)
		}
		m, err := wechat.DecodeMessage(body)
		if err != nil {
			t.Fatalf("scanner refuses %q: %v", body, err)
		}
		want := xmlText(s)
		if std.ToUserName != "to"+want || m.ToUserName != std.ToUserName {
			t.Fatalf("ToUserName: std %q, scanner %q, want %q", std.ToUserName, m.ToUserName, "to"+want)
		}
		got := std.Content
		if kind == "news" {
			got = std.Title
			if m.Get("Articles.item.Title") != got {
				t.Fatalf("scanner Title %q, std %q", m.Get("Articles.item.Title"), got)
			}
		} else if kind != "image" && kind != "voice" && kind != "video" && kind != "music" && kind != "transfer_customer_service" && m.Content != got {
			t.Fatalf("scanner Content %q, std %q", m.Content, got)
		}
		if (kind == "news" || kind == "text" || kind == "") && got != want {
			t.Fatalf("read back %q, want %q", got, want)
		}
	})
}
