package xxljob

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"gomicro/app/config"
)

const tokenHeader = "XXL-JOB-ACCESS-TOKEN"

// adminClient posts to xxl-job-admin, trying each configured address in turn
// until one accepts, as the Java executor's AdminBiz list does.
type adminClient struct {
	urls  []string // each ends with "/"
	token string
	http  *http.Client
}

// parseAdmins splits xxl-job.url (comma-separated). An empty value means no
// admin. Errors wrap config.ErrInvalid.
func parseAdmins(raw string) ([]string, error) {
	var out []string
	for _, s := range strings.Split(raw, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			// The whole list is quoted, masked: a password holding a comma
			// would leave part of itself in a single item.
			return nil, fmt.Errorf("%w: xxl-job.url %q: want comma-separated http(s) URLs",
				config.ErrInvalid, config.RedactURL(raw))
		}
		out = append(out, strings.TrimSuffix(s, "/")+"/")
	}
	return out, nil
}

// shown returns the admin URLs as they may be logged: userinfo masked.
func (a *adminClient) shown() []string {
	out := make([]string, len(a.urls))
	for i, u := range a.urls {
		out[i] = config.RedactURL(u)
	}
	return out
}

// answer is the admin's ReturnT.
type answer struct {
	Code int64  `json:"code"`
	Msg  string `json:"msg"`
}

// post sends body to path on the first admin that answers code 200. The
// error lists why each admin refused; it never contains the token nor the
// userinfo of an admin URL.
func (a *adminClient) post(ctx context.Context, path string, body any) error {
	if len(a.urls) == 0 {
		return errors.New("no admin configured")
	}
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	var errs []error
	for _, base := range a.urls {
		err := a.postOne(ctx, base+path, b)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (a *adminClient) postOne(ctx context.Context, u string, b []byte) error {
	shown := config.RedactURL(u)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("post %s: %w", shown, redactURLError(err))
	}
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	if a.token != "" {
		req.Header.Set(tokenHeader, a.token)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("post %s: %w", shown, redactURLError(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("post %s: read answer: %w", shown, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("post %s: status %d", shown, resp.StatusCode)
	}
	var ans answer
	if err := json.Unmarshal(raw, &ans); err != nil {
		return fmt.Errorf("post %s: decode answer: %w", shown, err)
	}
	if ans.Code != codeOK {
		return fmt.Errorf("post %s: code %d: %s", shown, ans.Code, ans.Msg)
	}
	return nil
}

// redactURLError masks the URL that net/http quotes in err. net/http
// hides a password as "***" itself but shows a lone user name, which is
// often a token.
func redactURLError(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	return &url.Error{Op: ue.Op, URL: config.RedactURL(ue.URL), Err: ue.Err}
}
