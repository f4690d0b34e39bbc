package wecom

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// MentionAll in a mention list reminds everyone in the group.
const MentionAll = "@all"

// Limits WeCom puts on messages other than text length.
const (
	ImageLimit  = 2 << 20  // bytes of an image before base64
	FileLimit   = 20 << 20 // bytes of an uploaded file
	minFileSize = 6        // WeCom refuses files of 5 bytes or less
	maxArticles = 8
)

// Message is one robot message: Text, Markdown, MarkdownV2, Image, News,
// File or TextNotice. Send validates it and splits long text and markdown.
type Message interface {
	// MsgType returns the webhook's msgtype, such as "text".
	MsgType() string
	// body returns the value under the msgtype key, or an error wrapping
	// ErrInvalidMessage.
	body() (any, error)
}

// splitter is a Message that may be cut into several under WeCom's limits.
type splitter interface {
	split() []Message
}

// Text is a plain text message. Mentions go with the first part when the
// content is split.
type Text struct {
	Content             string   `json:"content"`
	MentionedList       []string `json:"mentioned_list,omitempty"`
	MentionedMobileList []string `json:"mentioned_mobile_list,omitempty"`
}

// MsgType implements Message.
func (Text) MsgType() string { return "text" }

func (m Text) body() (any, error) { return m, contentErr("text", m.Content, TextLimit) }

func (m Text) split() []Message {
	parts := Split(m.Content, TextLimit)
	out := make([]Message, len(parts))
	for i, p := range parts {
		out[i] = Text{Content: p}
	}
	if len(out) > 0 {
		first := m
		first.Content = parts[0]
		out[0] = first
	}
	return out
}

// Markdown is a message in WeCom's markdown (the dialect with
// <font color="info|comment|warning">).
type Markdown struct {
	Content string `json:"content"`
}

// MsgType implements Message.
func (Markdown) MsgType() string { return "markdown" }

func (m Markdown) body() (any, error) { return m, contentErr("markdown", m.Content, MarkdownLimit) }

func (m Markdown) split() []Message {
	return splitEach(m.Content, MarkdownLimit, func(s string) Message { return Markdown{Content: s} })
}

// MarkdownV2 is a message in WeCom's markdown_v2 (tables, lists, code
// blocks; no font colors).
type MarkdownV2 struct {
	Content string `json:"content"`
}

// MsgType implements Message.
func (MarkdownV2) MsgType() string { return "markdown_v2" }

func (m MarkdownV2) body() (any, error) {
	return m, contentErr("markdown_v2", m.Content, MarkdownLimit)
}

func (m MarkdownV2) split() []Message {
	return splitEach(m.Content, MarkdownLimit, func(s string) Message { return MarkdownV2{Content: s} })
}

func splitEach(content string, limit int, mk func(string) Message) []Message {
	parts := Split(content, limit)
	out := make([]Message, len(parts))
	for i, p := range parts {
		out[i] = mk(p)
	}
	return out
}

func contentErr(kind, content string, limit int) error {
	switch {
	case content == "":
		return fmt.Errorf("%w: %s content is empty", ErrInvalidMessage, kind)
	case len(content) > limit:
		return fmt.Errorf("%w: %s content is %d bytes, over %d", ErrInvalidMessage, kind, len(content), limit)
	}
	return nil
}

// Image is a JPG or PNG picture of at most 2 MB, sent inline.
type Image struct {
	Data []byte
}

// MsgType implements Message.
func (Image) MsgType() string { return "image" }

type imageBody struct {
	Base64 string `json:"base64"`
	MD5    string `json:"md5"`
}

func (m Image) body() (any, error) {
	if len(m.Data) == 0 || len(m.Data) > ImageLimit {
		return nil, fmt.Errorf("%w: image is %d bytes, must be 1 to %d", ErrInvalidMessage, len(m.Data), ImageLimit)
	}
	sum := md5.Sum(m.Data) // WeCom's integrity check asks for md5; not a security use
	return imageBody{Base64: base64.StdEncoding.EncodeToString(m.Data), MD5: hex.EncodeToString(sum[:])}, nil
}

// News is a set of 1 to 8 link cards.
type News struct {
	Articles []Article
}

// Article is one card of a News message; Title and URL are required.
type Article struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	URL         string `json:"url"`
	PicURL      string `json:"picurl,omitempty"`
}

// MsgType implements Message.
func (News) MsgType() string { return "news" }

type newsBody struct {
	Articles []Article `json:"articles"`
}

func (m News) body() (any, error) {
	if len(m.Articles) == 0 || len(m.Articles) > maxArticles {
		return nil, fmt.Errorf("%w: news has %d articles, must be 1 to %d", ErrInvalidMessage, len(m.Articles), maxArticles)
	}
	for i, a := range m.Articles {
		if a.Title == "" || a.URL == "" {
			return nil, fmt.Errorf("%w: news article %d needs a title and a url", ErrInvalidMessage, i)
		}
	}
	return newsBody{Articles: m.Articles}, nil
}

// File is a file sent by media_id. With MediaID empty, the client first
// uploads Data (6 bytes to 20 MB) as Name through upload_media.
type File struct {
	Name    string
	Data    []byte
	MediaID string
}

// MsgType implements Message.
func (File) MsgType() string { return "file" }

type fileBody struct {
	MediaID string `json:"media_id"`
}

func (m File) body() (any, error) {
	if m.MediaID == "" {
		return nil, fmt.Errorf("%w: file has no media_id", ErrInvalidMessage)
	}
	return fileBody{MediaID: m.MediaID}, nil
}

// checkUpload validates a File that still has to be uploaded.
func (m File) checkUpload() error {
	if m.MediaID != "" {
		return nil
	}
	if m.Name == "" {
		return fmt.Errorf("%w: file to upload has no name", ErrInvalidMessage)
	}
	if len(m.Data) < minFileSize || len(m.Data) > FileLimit {
		return fmt.Errorf("%w: file is %d bytes, must be %d to %d", ErrInvalidMessage, len(m.Data), minFileSize, FileLimit)
	}
	return nil
}

// validate checks m as it would be sent; a File still to upload is checked
// for its upload instead.
func validate(m Message) error {
	if m == nil {
		return fmt.Errorf("%w: nil message", ErrInvalidMessage)
	}
	if f, ok := m.(File); ok && f.MediaID == "" {
		return f.checkUpload()
	}
	_, err := m.body()
	return err
}
