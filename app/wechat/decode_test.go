package wechat_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"gomicro/app/wechat"
)

// textMessage is a text message as WeChat's documentation shows it, with
// its indentation: 368 bytes.
const textMessage = `<xml>
  <ToUserName><![CDATA[gh_3a4f5d6e7b8c]]></ToUserName>
  <FromUserName><![CDATA[oA1b2C3d4E5f6G7h8I9j0K1l2M3n]]></FromUserName>
  <CreateTime>1714000000</CreateTime>
  <MsgType><![CDATA[text]]></MsgType>
  <Content><![CDATA[hello 你好]]></Content>
  <MsgId>24567890123456789</MsgId>
  <MsgDataId><![CDATA[xxxx]]></MsgDataId>
  <Idx><![CDATA[xxxx]]></Idx>
</xml>`

// referenceFields is DecodeFields' meaning spelled out on encoding/xml's
// tokens: one root, leaves' text concatenated, blocks holding whitespace
// only besides their elements, paths joined with dots.
func referenceFields(body []byte) ([]wechat.Field, error) {
	type frame struct {
		path  string
		text  []byte
		block bool
	}
	blank := func(b []byte) bool { return len(bytes.Trim(b, " \t\r\n")) == 0 }
	d := xml.NewDecoder(bytes.NewReader(body))
	var stack []*frame
	var fields []wechat.Field
	roots := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				if roots++; roots > 1 {
					return nil, errors.New("second root")
				}
				stack = append(stack, &frame{})
				continue
			}
			parent := stack[len(stack)-1]
			if !blank(parent.text) {
				return nil, errors.New("mixed content")
			}
			parent.text, parent.block = nil, true
			path := t.Name.Local
			if parent.path != "" {
				path = parent.path + "." + path
			}
			stack = append(stack, &frame{path: path})
		case xml.EndElement:
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			switch {
			case f.block || len(stack) == 0:
				if !blank(f.text) {
					return nil, errors.New("text beside elements")
				}
			default:
				fields = append(fields, wechat.Field{Name: f.path, Value: string(f.text)})
			}
		case xml.CharData:
			if len(stack) == 0 {
				if !blank(t) {
					return nil, errors.New("text outside root")
				}
				continue
			}
			top := stack[len(stack)-1]
			top.text = append(top.text, t...)
		}
	}
	if roots == 0 {
		return nil, errors.New("no root")
	}
	return fields, nil
}

func TestDecodeFieldsAgreesWithEncodingXML(t *testing.T) {
	for i, body := range decodeSeeds() {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			got, err := wechat.DecodeFields([]byte(body))
			if err != nil {
				t.Fatalf("refused %q: %v", body, err)
			}
			want, err := referenceFields([]byte(body))
			if err != nil {
				t.Fatalf("encoding/xml refuses %q: %v", body, err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%q:\n got %q\nwant %q", body, got, want)
			}
		})
	}
}

func TestDecodeMessageTypes(t *testing.T) {
	m, err := wechat.DecodeMessage([]byte(textMessage))
	if err != nil {
		t.Fatal(err)
	}
	if m.ToUserName != "gh_3a4f5d6e7b8c" || m.FromUserName != "oA1b2C3d4E5f6G7h8I9j0K1l2M3n" || m.CreateTime != 1714000000 ||
		m.MsgType != wechat.TypeText || m.Content != "hello 你好" || m.MsgID != "24567890123456789" || m.Get("Idx") != "xxxx" {
		t.Errorf("text message = %+v", m)
	}
	ev, err := wechat.DecodeMessage([]byte(`<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[u]]></FromUserName>` +
		`<CreateTime>1</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>` +
		`<EventKey><![CDATA[qrscene_123]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket></xml>`))
	if err != nil {
		t.Fatal(err)
	}
	if !ev.IsEvent(wechat.EventSubscribe) || ev.SceneID() != "123" || ev.Ticket != "TICKET" {
		t.Errorf("subscribe event = %+v", ev)
	}
	scan, err := wechat.DecodeMessage([]byte(`<xml><MsgType>event</MsgType><Event>scancode_waitmsg</Event><EventKey>k</EventKey>` +
		`<ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType><ScanResult><![CDATA[1 &amp; 2]]></ScanResult></ScanCodeInfo></xml>`))
	if err != nil {
		t.Fatal(err)
	}
	if scan.Get("ScanCodeInfo.ScanType") != "qrcode" || scan.Get("ScanCodeInfo.ScanResult") != "1 &amp; 2" {
		t.Errorf("scancode fields = %q", scan.Fields)
	}
}

func TestDecodeFieldsRefuses(t *testing.T) {
	tests := []struct {
		name, body string
		want       error
	}{
		{"doctype", `<!DOCTYPE xml [<!ENTITY x "y">]><xml><A>&x;</A></xml>`, wechat.ErrDoctype},
		{"entity declaration", `<!ENTITY x "y"><xml/>`, wechat.ErrDoctype},
		{"doctype after a comment", `<!-- hi --><!DOCTYPE xml><xml/>`, wechat.ErrDoctype},
		{"empty", ``, wechat.ErrMalformed},
		{"unclosed", `<xml><A>1</A>`, wechat.ErrMalformed},
		{"mismatched", `<xml><A>1</B></xml>`, wechat.ErrMalformed},
		{"undeclared entity", `<xml><A>&nbsp;</A></xml>`, wechat.ErrMalformed},
		{"mixed content", `<xml><A>x<B>1</B></A></xml>`, wechat.ErrMalformed},
		{"two roots", `<xml/><xml/>`, wechat.ErrMalformed},
		{"attributes", `<xml a="1"><A>1</A></xml>`, wechat.ErrMalformed},
		{"bad utf-8", "<xml><A>\xff</A></xml>", wechat.ErrMalformed},
		{"control character", "<xml><A>\x01</A></xml>", wechat.ErrMalformed},
		{"nul reference", `<xml><A>&#0;</A></xml>`, wechat.ErrMalformed},
		{"]]> in text", `<xml><A>a]]>b</A></xml>`, wechat.ErrMalformed},
		{"CDATA then a broken end tag", `<xml><A><![CDATA[v]]>Z/A><B>1</B></xml>`, wechat.ErrMalformed},
		{"not xml", `{"json":true}`, wechat.ErrMalformed},
		{"gbk declaration", `<?xml version="1.0" encoding="GBK"?><xml/>`, wechat.ErrMalformed},
		{"too deep", "<xml>" + strings.Repeat("<a>", 12) + strings.Repeat("</a>", 12) + "</xml>", wechat.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := wechat.DecodeFields([]byte(tt.body))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// decodeSeeds are messages of every kind WeChat sends and the lexical
// corners of XML: CDATA, entities, line ends, whitespace, Chinese text,
// nested blocks, comments, a declaration.
func decodeSeeds() []string {
	return []string{
		textMessage,
		`<xml><ToUserName><![CDATA[gh]]></ToUserName><MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[m]]></MediaId><Format><![CDATA[amr]]></Format><Recognition><![CDATA[腾讯微信团队]]></Recognition><MsgId>1</MsgId></xml>`,
		`<xml><MsgType>location</MsgType><Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y><Scale>20</Scale><Label><![CDATA[位置信息]]></Label></xml>`,
		`<xml><MsgType>event</MsgType><Event>pic_weixin</Event><SendPicsInfo><Count>2</Count><PicList><item><PicMd5Sum><![CDATA[a]]></PicMd5Sum></item><item><PicMd5Sum><![CDATA[b]]></PicMd5Sum></item></PicList></SendPicsInfo></xml>`,
		`<xml><MsgType>event</MsgType><Event>location_select</Event><SendLocationInfo><Location_X><![CDATA[23]]></Location_X><Poiname><![CDATA[]]></Poiname></SendLocationInfo></xml>`,
		`<xml><MsgType>news</MsgType><ArticleCount>1</ArticleCount><Articles><item><Title><![CDATA[t]]></Title><Url><![CDATA[https://a.example/?x=1&y=2]]></Url></item></Articles></xml>`,
		`<xml><A>a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#65;&#x42;&#x4e2d;</A></xml>`,
		"<xml>\r\n<A>line1\r\nline2\rline3</A>\r\n<B><![CDATA[x\r\ny]]></B></xml>\r\n",
		`<?xml version="1.0" encoding="UTF-8"?>` + "\n<xml><A>1</A></xml>",
		`<?xml version='1.0' encoding='utf-8' standalone='yes' ?><xml/>`,
		`<!-- c --><xml><!-- c --><A>1<!-- c -->2</A><B/><C></C><D> </D></xml><!-- c -->`,
		`<xml><A><![CDATA[one]]><![CDATA[two]]>three&amp;<![CDATA[]]>]]&gt;</A></xml>`,
		`<xml ><A >x</A ><B  /></xml >`,
		`<xml><Content><![CDATA[<b>not a tag</b> ]]]]><![CDATA[>]]></Content></xml>`,
		`<xml><A>&#xD800;&#128512;😀</A></xml>`,
		"<xml>\n\t<Encrypt><![CDATA[" + strings.Repeat("AbC+/=", 20) + "]]></Encrypt>\n</xml>",
	}
}

// FuzzDecodeFields feeds the same bytes to DecodeFields and to
// encoding/xml: whatever the scanner accepts, encoding/xml must accept with
// the same fields.
func FuzzDecodeFields(f *testing.F) {
	for _, s := range decodeSeeds() {
		f.Add([]byte(s))
	}
	f.Add([]byte(`<xml><A><![CDATA[v]]>Z/A></xml>`)) // once taken as <A>v</A>
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := wechat.DecodeFields(body)
		if err != nil {
			if !errors.Is(err, wechat.ErrMalformed) && !errors.Is(err, wechat.ErrDoctype) {
				t.Fatalf("error %v wraps neither ErrMalformed nor ErrDoctype", err)
			}
			return
		}
		want, err := referenceFields(body)
		if err != nil {
			t.Fatalf("accepted %q, which encoding/xml refuses: %v", body, err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%q:\n got %q\nwant %q", body, got, want)
		}
	})
}
