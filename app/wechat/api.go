package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"gomicro/app/config"
)

// maxAPIAnswer bounds what is read of one WeChat API answer.
const maxAPIAnswer = 1 << 20

// APIError is an answer of WeChat's API with a non-zero errcode.
type APIError struct {
	Code    int
	Message string
}

// Error says the errcode and WeChat's errmsg.
func (e *APIError) Error() string { return fmt.Sprintf("wechat api errcode %d: %s", e.Code, e.Message) }

// tokenExpired reports whether err says the access token is no longer
// good: 40001 invalid credential, 40014 invalid token, 42001 expired.
func tokenExpired(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && (ae.Code == 40001 || ae.Code == 40014 || ae.Code == 42001)
}

// apiClient calls WeChat's JSON API at wechat_oa.api_base_url.
type apiClient struct {
	http    *http.Client
	store   *config.Store
	metrics *metrics
}

// post sends body as JSON to path (with query) and decodes the answer into
// out. An errcode other than 0 is an *APIError. Errors never quote the URL,
// whose query may hold an access token.
func (c *apiClient) post(ctx context.Context, api, path string, query url.Values, body, out any) error {
	cfg := c.store.Current().WeChatOA
	raw, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("%s: encode: %w", api, err)
	}
	target := strings.TrimRight(cfg.APIBaseURL, "/") + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.APITimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("%s: %w", api, stripURL(err))
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		c.metrics.apiCall(api, "network")
		return fmt.Errorf("%s: %w", api, stripURL(err))
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(res.Body, maxAPIAnswer))
	if err != nil {
		c.metrics.apiCall(api, "network")
		return fmt.Errorf("%s: read answer: %w", api, stripURL(err))
	}
	if res.StatusCode != http.StatusOK {
		c.metrics.apiCall(api, "http_"+strconv.Itoa(res.StatusCode))
		return fmt.Errorf("%s: http status %d", api, res.StatusCode)
	}
	var head struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(answer, &head); err != nil {
		c.metrics.apiCall(api, "bad_answer")
		return fmt.Errorf("%s: answer is not JSON: %w", api, err)
	}
	c.metrics.apiCall(api, strconv.Itoa(head.ErrCode))
	if head.ErrCode != 0 {
		return fmt.Errorf("%s: %w", api, &APIError{Code: head.ErrCode, Message: head.ErrMsg})
	}
	if out != nil {
		if err := json.Unmarshal(answer, out); err != nil {
			return fmt.Errorf("%s: decode answer: %w", api, err)
		}
	}
	return nil
}

// stripURL keeps a *url.Error's cause and drops its URL.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
