package wechat_test

import (
	"testing"

	"gomicro/app/wechat"
)

// TestDecodeEveryType reads one message of each kind WeChat documents and
// checks its typed fields.
func TestDecodeEveryType(t *testing.T) {
	head := `<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[u]]></FromUserName><CreateTime>1348831860</CreateTime>`
	tests := []struct {
		name, body string
		check      func(m *wechat.Message) bool
	}{
		{"image", `<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://p]]></PicUrl><MediaId><![CDATA[m]]></MediaId><MsgId>1</MsgId>`,
			func(m *wechat.Message) bool { return m.PicURL == "http://p" && m.MediaID == "m" && m.MsgID == "1" }},
		{"voice", `<MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[m]]></MediaId><Format><![CDATA[amr]]></Format><Recognition><![CDATA[你好]]></Recognition><MsgId>2</MsgId>`,
			func(m *wechat.Message) bool { return m.Format == "amr" && m.Recognition == "你好" }},
		{"video", `<MsgType><![CDATA[video]]></MsgType><MediaId><![CDATA[m]]></MediaId><ThumbMediaId><![CDATA[th]]></ThumbMediaId><MsgId>3</MsgId>`,
			func(m *wechat.Message) bool { return m.MsgType == wechat.TypeVideo && m.ThumbMediaID == "th" }},
		{"shortvideo", `<MsgType><![CDATA[shortvideo]]></MsgType><MediaId><![CDATA[m]]></MediaId><ThumbMediaId><![CDATA[th]]></ThumbMediaId><MsgId>4</MsgId>`,
			func(m *wechat.Message) bool { return m.MsgType == wechat.TypeShortVideo && m.ThumbMediaID == "th" }},
		{"location", `<MsgType><![CDATA[location]]></MsgType><Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y><Scale>20</Scale><Label><![CDATA[位置]]></Label><MsgId>5</MsgId>`,
			func(m *wechat.Message) bool {
				return m.LocationX == "23.134521" && m.LocationY == "113.358803" && m.Scale == "20" && m.Label == "位置"
			}},
		{"link", `<MsgType><![CDATA[link]]></MsgType><Title><![CDATA[t]]></Title><Description><![CDATA[d]]></Description><Url><![CDATA[http://u]]></Url><MsgId>6</MsgId>`,
			func(m *wechat.Message) bool { return m.Title == "t" && m.Description == "d" && m.URL == "http://u" }},
		{"file", `<MsgType><![CDATA[file]]></MsgType><Title><![CDATA[a.pdf]]></Title><Description><![CDATA[d]]></Description><FileKey><![CDATA[k]]></FileKey><FileMd5><![CDATA[md5]]></FileMd5><FileTotalLen>1024</FileTotalLen><MsgId>7</MsgId>`,
			func(m *wechat.Message) bool {
				return m.Title == "a.pdf" && m.Get("FileKey") == "k" && m.Get("FileTotalLen") == "1024"
			}},
		{"unsubscribe", `<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[unsubscribe]]></Event>`,
			func(m *wechat.Message) bool { return m.IsEvent(wechat.EventUnsubscribe) && m.SceneID() == "" }},
		{"SCAN", `<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[123]]></EventKey><Ticket><![CDATA[tk]]></Ticket>`,
			func(m *wechat.Message) bool {
				return m.IsEvent(wechat.EventScan) && m.SceneID() == "123" && m.Ticket == "tk"
			}},
		{"LOCATION", `<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[LOCATION]]></Event><Latitude>23.137466</Latitude><Longitude>113.352425</Longitude><Precision>119.385040</Precision>`,
			func(m *wechat.Message) bool {
				return m.Latitude == "23.137466" && m.Longitude == "113.352425" && m.Precision == "119.385040"
			}},
		{"CLICK", `<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[V1001_TODAY_MUSIC]]></EventKey>`,
			func(m *wechat.Message) bool { return m.IsEvent(wechat.EventClick) && m.EventKey == "V1001_TODAY_MUSIC" }},
		{"VIEW", `<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[VIEW]]></Event><EventKey><![CDATA[http://www.qq.com/]]></EventKey><MenuId>208379533</MenuId>`,
			func(m *wechat.Message) bool { return m.IsEvent(wechat.EventView) && m.MenuID == "208379533" }},
		{"scancode_push", `<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[scancode_push]]></Event><EventKey><![CDATA[6]]></EventKey><ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType><ScanResult><![CDATA[1]]></ScanResult></ScanCodeInfo>`,
			func(m *wechat.Message) bool { return m.Get("ScanCodeInfo.ScanResult") == "1" }},
		{"pic_sysphoto", `<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[pic_sysphoto]]></Event><EventKey><![CDATA[6]]></EventKey><SendPicsInfo><Count>1</Count><PicList><item><PicMd5Sum><![CDATA[1b5f]]></PicMd5Sum></item></PicList></SendPicsInfo>`,
			func(m *wechat.Message) bool { return m.Get("SendPicsInfo.PicList.item.PicMd5Sum") == "1b5f" }},
		{"location_select", `<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[location_select]]></Event><EventKey><![CDATA[6]]></EventKey><SendLocationInfo><Location_X><![CDATA[23]]></Location_X><Location_Y><![CDATA[113]]></Location_Y><Scale><![CDATA[15]]></Scale><Label><![CDATA[广州]]></Label><Poiname><![CDATA[]]></Poiname></SendLocationInfo>`,
			func(m *wechat.Message) bool { return m.Get("SendLocationInfo.Label") == "广州" && m.LocationX == "" }},
		{"view_miniprogram", `<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[view_miniprogram]]></Event><EventKey><![CDATA[pages/index]]></EventKey><MenuId>MENUID</MenuId>`,
			func(m *wechat.Message) bool { return m.IsEvent(wechat.EventViewMiniprogram) && m.MenuID == "MENUID" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := wechat.DecodeMessage([]byte(head + tt.body + `</xml>`))
			if err != nil {
				t.Fatal(err)
			}
			if m.ToUserName != "gh" || m.FromUserName != "u" || m.CreateTime != 1348831860 || !tt.check(m) {
				t.Errorf("decoded = %+v", m)
			}
		})
	}
}
