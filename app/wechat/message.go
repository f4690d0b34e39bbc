package wechat

import (
	"strconv"
	"strings"
)

// Message types (MsgType) and events (Event) WeChat sends to an account.
const (
	TypeText       = "text"
	TypeImage      = "image"
	TypeVoice      = "voice"
	TypeVideo      = "video"
	TypeShortVideo = "shortvideo"
	TypeLocation   = "location"
	TypeLink       = "link"
	TypeFile       = "file"
	TypeEvent      = "event"

	EventSubscribe       = "subscribe"
	EventUnsubscribe     = "unsubscribe"
	EventScan            = "SCAN"
	EventLocation        = "LOCATION"
	EventClick           = "CLICK"
	EventView            = "VIEW"
	EventScancodePush    = "scancode_push"
	EventScancodeWaitMsg = "scancode_waitmsg"
	EventPicSysPhoto     = "pic_sysphoto"
	EventPicPhotoOrAlbum = "pic_photo_or_album"
	EventPicWeixin       = "pic_weixin"
	EventLocationSelect  = "location_select"
	EventViewMiniprogram = "view_miniprogram"
)

// Message is one message or event pushed to an account, typed for the
// common fields. Fields holds every leaf as sent, so a type this package
// does not know still reaches the units whole; Get reads any of them,
// nested ones by path ("ScanCodeInfo.ScanResult").
type Message struct {
	ToUserName   string
	FromUserName string // the user's openid
	CreateTime   int64
	MsgType      string
	MsgID        string

	Content      string // text
	PicURL       string // image
	MediaID      string // image, voice, video, shortvideo
	Format       string // voice
	Recognition  string // voice, when speech recognition is on
	ThumbMediaID string // video, shortvideo
	LocationX    string // location: latitude
	LocationY    string // location: longitude
	Scale        string
	Label        string
	Title        string // link, file
	Description  string
	URL          string // link

	Event     string
	EventKey  string // CLICK key, VIEW url, qrscene_<id> on subscribe, <id> on SCAN
	Ticket    string // subscribe / SCAN from a QR code
	Latitude  string // LOCATION event
	Longitude string
	Precision string
	MenuID    string

	// Encrypt is the sealed message of safe and compatible mode.
	Encrypt string

	Fields []Field
}

// DecodeMessage reads a message body with DecodeFields and types it; like
// the fields, the message shares body's memory, which must not change.
// Errors wrap ErrMalformed or ErrDoctype.
func DecodeMessage(body []byte) (*Message, error) {
	fields, err := DecodeFields(body)
	if err != nil {
		return nil, err
	}
	m := &Message{Fields: fields}
	for _, f := range fields {
		m.set(f)
	}
	return m, nil
}

// set fills the typed field for a top-level leaf; the first one wins, as
// with Get.
func (m *Message) set(f Field) {
	var dst *string
	switch f.Name {
	case "ToUserName":
		dst = &m.ToUserName
	case "FromUserName":
		dst = &m.FromUserName
	case "CreateTime":
		if m.CreateTime == 0 {
			m.CreateTime, _ = strconv.ParseInt(strings.TrimSpace(f.Value), 10, 64)
		}
		return
	case "MsgType":
		dst = &m.MsgType
	case "MsgId", "MsgID":
		dst = &m.MsgID
	case "Content":
		dst = &m.Content
	case "PicUrl":
		dst = &m.PicURL
	case "MediaId":
		dst = &m.MediaID
	case "Format":
		dst = &m.Format
	case "Recognition":
		dst = &m.Recognition
	case "ThumbMediaId":
		dst = &m.ThumbMediaID
	case "Location_X":
		dst = &m.LocationX
	case "Location_Y":
		dst = &m.LocationY
	case "Scale":
		dst = &m.Scale
	case "Label":
		dst = &m.Label
	case "Title":
		dst = &m.Title
	case "Description":
		dst = &m.Description
	case "Url":
		dst = &m.URL
	case "Event":
		dst = &m.Event
	case "EventKey":
		dst = &m.EventKey
	case "Ticket":
		dst = &m.Ticket
	case "Latitude":
		dst = &m.Latitude
	case "Longitude":
		dst = &m.Longitude
	case "Precision":
		dst = &m.Precision
	case "MenuId", "MenuID":
		dst = &m.MenuID
	case "Encrypt":
		dst = &m.Encrypt
	default:
		return
	}
	if *dst == "" {
		*dst = f.Value
	}
}

// Get returns the first field named path, or "".
func (m *Message) Get(path string) string {
	for _, f := range m.Fields {
		if f.Name == path {
			return f.Value
		}
	}
	return ""
}

// SceneID returns the QR scene of a subscribe or SCAN event: EventKey
// without subscribe's "qrscene_" prefix; "" for other messages.
func (m *Message) SceneID() string {
	switch {
	case m.MsgType == TypeEvent && m.Event == EventSubscribe:
		return strings.TrimPrefix(m.EventKey, "qrscene_")
	case m.MsgType == TypeEvent && m.Event == EventScan:
		return m.EventKey
	}
	return ""
}

// IsEvent reports whether the message is an event of kind (compared as
// WeChat sends it; "" matches any event).
func (m *Message) IsEvent(kind string) bool {
	return m.MsgType == TypeEvent && (kind == "" || m.Event == kind)
}
