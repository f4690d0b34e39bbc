package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// maxAnswer bounds how much of a WeCom answer is read.
const maxAnswer = 1 << 20

type answer struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
	MediaID string `json:"media_id"`
}

// post sends one message to robot with the key in force now, uploading a
// File's data first. It returns the message as sent (a File then carries
// its media_id, so a retry does not upload again).
func (c *Client) post(ctx context.Context, robot string, m Message) (Message, error) {
	s := c.cur.Load()
	rc, ok := s.robot(robot)
	if !ok || rc.Key == "" {
		return m, fmt.Errorf("%w: %q has no key", ErrUnknownRobot, robot)
	}
	if f, ok := m.(File); ok && f.MediaID == "" {
		id, err := c.upload(ctx, s, rc.Key, f)
		if err != nil {
			return m, err
		}
		m = File{Name: f.Name, MediaID: id}
	}
	b, err := m.body()
	if err != nil {
		return m, err
	}
	payload, err := json.Marshal(map[string]any{"msgtype": m.MsgType(), m.MsgType(): b})
	if err != nil {
		return m, fmt.Errorf("%w: encode: %w", ErrInvalidMessage, err)
	}
	_, err = c.call(ctx, s, rc.Key, s.endpoint("/cgi-bin/webhook/send", rc.Key, nil), "application/json", payload)
	return m, err
}

// upload sends a file through upload_media and returns its media_id.
func (c *Client) upload(ctx context.Context, s *settings, key string, f File) (string, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="media"; filename="%s"; filelength=%d`,
		escapeQuotes(f.Name), len(f.Data)))
	h.Set("Content-Type", "application/octet-stream")
	pw, err := mw.CreatePart(h)
	if err == nil {
		_, err = pw.Write(f.Data)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return "", fmt.Errorf("build upload of %s: %w", f.Name, err)
	}
	url := s.endpoint("/cgi-bin/webhook/upload_media", key, url.Values{"type": {"file"}})
	a, err := c.call(ctx, s, key, url, mw.FormDataContentType(), body.Bytes())
	if err != nil {
		return "", fmt.Errorf("upload %s: %w", f.Name, err)
	}
	if a.MediaID == "" {
		return "", fmt.Errorf("upload %s: %w", f.Name, &APIError{Code: -1, Msg: "answer without media_id"})
	}
	return a.MediaID, nil
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"")

func escapeQuotes(s string) string { return quoteEscaper.Replace(s) }

// call POSTs body and reads WeCom's answer. Every error it returns has the
// key masked.
func (c *Client) call(ctx context.Context, s *settings, key, url, contentType string, body []byte) (answer, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	defer context.AfterFunc(c.stop, cancel)()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return answer{}, scrubNetErr(err, key)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{}, scrubNetErr(err, key)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
		return answer{}, &StatusError{Status: resp.StatusCode}
	}
	var a answer
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(&a); err != nil {
		return answer{}, scrubNetErr(fmt.Errorf("decode answer: %w", err), key)
	}
	if a.ErrCode != 0 {
		return a, &APIError{Code: a.ErrCode, Msg: redact(a.ErrMsg, key)}
	}
	return a, nil
}
