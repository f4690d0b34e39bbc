package wechat

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// EncodeReply writes r as WeChat's passive reply XML from the account
// (from, its ToUserName) to the user (to), with To and From swapped from
// the message. A reply of unknown type encodes as text of its Content.
func EncodeReply(r *Reply, to, from string, createTime int64) []byte {
	b := make([]byte, 0, 256+len(r.Content)+len(r.Title)+len(r.Description))
	b = append(b, "<xml>"...)
	b = cdataElem(b, "ToUserName", to)
	b = cdataElem(b, "FromUserName", from)
	b = append(b, "<CreateTime>"...)
	b = strconv.AppendInt(b, createTime, 10)
	b = append(b, "</CreateTime>"...)
	switch r.Type {
	case ReplyImage, ReplyVoice:
		block := "Image"
		if r.Type == ReplyVoice {
			block = "Voice"
		}
		b = cdataElem(b, "MsgType", r.Type)
		b = append(b, "<"+block+">"...)
		b = cdataElem(b, "MediaId", r.MediaID)
		b = append(b, "</"+block+">"...)
	case ReplyVideo:
		b = cdataElem(b, "MsgType", r.Type)
		b = append(b, "<Video>"...)
		b = cdataElem(b, "MediaId", r.MediaID)
		b = cdataElem(b, "Title", r.Title)
		b = cdataElem(b, "Description", r.Description)
		b = append(b, "</Video>"...)
	case ReplyMusic:
		b = cdataElem(b, "MsgType", r.Type)
		b = append(b, "<Music>"...)
		b = cdataElem(b, "Title", r.Title)
		b = cdataElem(b, "Description", r.Description)
		b = cdataElem(b, "MusicUrl", r.MusicURL)
		b = cdataElem(b, "HQMusicUrl", r.HQMusicURL)
		b = cdataElem(b, "ThumbMediaId", r.ThumbMediaID)
		b = append(b, "</Music>"...)
	case ReplyNews:
		b = cdataElem(b, "MsgType", r.Type)
		b = append(b, "<ArticleCount>1</ArticleCount><Articles><item>"...)
		b = cdataElem(b, "Title", r.Title)
		b = cdataElem(b, "Description", r.Description)
		b = cdataElem(b, "PicUrl", r.PicURL)
		b = cdataElem(b, "Url", r.URL)
		b = append(b, "</item></Articles>"...)
	case ReplyTransfer:
		b = cdataElem(b, "MsgType", r.Type)
		if r.KfAccount != "" {
			b = append(b, "<TransInfo>"...)
			b = cdataElem(b, "KfAccount", r.KfAccount)
			b = append(b, "</TransInfo>"...)
		}
	default:
		b = cdataElem(b, "MsgType", ReplyText)
		b = cdataElem(b, "Content", r.Content)
	}
	return append(b, "</xml>"...)
}

// encodeEnvelope writes the safe-mode reply around a sealed message.
func encodeEnvelope(encrypt, msgSignature, timestamp, nonce string) []byte {
	b := make([]byte, 0, 160+len(encrypt))
	b = append(b, "<xml>"...)
	b = cdataElem(b, "Encrypt", encrypt)
	b = cdataElem(b, "MsgSignature", msgSignature)
	b = append(b, "<TimeStamp>"...)
	b = append(b, timestamp...)
	b = append(b, "</TimeStamp>"...)
	b = cdataElem(b, "Nonce", nonce)
	return append(b, "</xml>"...)
}

// cdataElem appends <name><![CDATA[v]]></name>. A "]]>" inside v is split
// across two sections, and characters XML cannot carry become U+FFFD, so
// any string survives the round trip a parser makes of it (CR excepted,
// which XML reads as LF).
func cdataElem(b []byte, name, v string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, "><![CDATA["...)
	for {
		i := strings.Index(v, "]]>")
		if i < 0 {
			break
		}
		b = appendXMLChars(b, v[:i+2])
		b = append(b, "]]><![CDATA["...)
		v = v[i+2:]
	}
	b = appendXMLChars(b, v)
	b = append(b, "]]></"...)
	b = append(b, name...)
	return append(b, '>')
}

func appendXMLChars(b []byte, v string) []byte {
	for i := 0; i < len(v); {
		c := v[i]
		if c >= 0x20 && c < utf8.RuneSelf || c == '\t' || c == '\n' || c == '\r' {
			b = append(b, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(v[i:])
		if r == utf8.RuneError && size == 1 || !isXMLChar(r) {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, v[i:i+size]...)
		}
		i += size
	}
	return b
}
