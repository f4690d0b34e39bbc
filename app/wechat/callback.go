package wechat

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rs/zerolog"

	"gomicro/app/errs"
)

// callback serves WeChat's server URL, /wechat/{app}: GET verifies the
// URL, POST delivers messages. It answers in WeChat's terms (plain text or
// XML), never with the JSON error model, and a client's mistake never
// with a 5xx.
type callback struct {
	s *Service
}

func newCallback(s *Service) *callback { return &callback{s: s} }

func (cb *callback) register(r gin.IRoutes) {
	r.GET("/wechat/:app", cb.verify)
	r.POST("/wechat/:app", cb.message)
}

// verify answers echostr verbatim when the signature matches.
func (cb *callback) verify(c *gin.Context) {
	acc, err := cb.s.accounts.find(c.Request.Context(), c.Param("app"))
	if err == nil {
		err = cb.checkSignature(c, acc)
	}
	if err != nil {
		cb.refuse(c, acc, err)
		return
	}
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(query(c.Request.URL.RawQuery, "echostr")))
}

// message checks, opens and decodes one message, hands it to the chain and
// answers its reply, sealed again in safe mode.
func (cb *callback) message(c *gin.Context) {
	start := time.Now()
	ctx := c.Request.Context()
	acc, err := cb.s.accounts.find(ctx, c.Param("app"))
	if err == nil {
		err = cb.checkSignature(c, acc)
	}
	if err != nil {
		cb.refuse(c, acc, err)
		return
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		if tooLarge := new(http.MaxBytesError); errors.As(err, &tooLarge) {
			err = ErrTooLarge
		} else {
			err = ErrMalformed
		}
		cb.refuse(c, acc, err)
		return
	}
	msg, key, safe, err := cb.open(c, acc, body)
	if err != nil {
		cb.refuse(c, acc, err)
		return
	}
	mode := modePlain
	switch {
	case safe:
		mode = modeSafe
	case key != nil:
		mode = modeCompatible
	}
	answer := cb.s.handle(ctx, start.Add(cb.s.store.Current().WeChatOA.ReplyTimeout), acc, msg, mode)
	switch {
	case answer == nil:
		c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte("success"))
	case safe:
		c.Data(http.StatusOK, "text/xml; charset=utf-8", seal(acc, key, answer))
	default:
		c.Data(http.StatusOK, "text/xml; charset=utf-8", answer)
	}
}

// open decodes the body; with encrypt_type=aes it checks msg_signature
// and decrypts. safe reports safe mode (only <Encrypt> in the clear),
// whose reply must be sealed with key; compatible mode carries the
// plaintext fields too and gets a plaintext reply.
func (cb *callback) open(c *gin.Context, acc *Account, body []byte) (msg *Message, key *aesKey, safe bool, err error) {
	outer, err := DecodeMessage(body)
	if err != nil {
		return nil, nil, false, err
	}
	raw := c.Request.URL.RawQuery
	switch query(raw, "encrypt_type") {
	case "", "raw":
		return outer, nil, false, nil
	case "aes":
	default:
		return nil, nil, false, ErrEncryptType
	}
	if outer.Encrypt == "" {
		return nil, nil, false, ErrMalformed
	}
	if !signatureOK(query(raw, "msg_signature"), acc.Token, query(raw, "timestamp"), query(raw, "nonce"), outer.Encrypt) {
		return nil, nil, false, ErrSignature
	}
	plain, key, err := acc.open(outer.Encrypt)
	if err != nil {
		return nil, nil, false, err
	}
	if msg, err = DecodeMessage(plain); err != nil {
		return nil, nil, false, err
	}
	return msg, key, outer.MsgType == "", nil
}

// checkSignature verifies signature over token, timestamp and nonce, and
// the timestamp against wechat_oa.timestamp_skew.
func (cb *callback) checkSignature(c *gin.Context, acc *Account) error {
	raw := c.Request.URL.RawQuery
	ts := query(raw, "timestamp")
	if !signatureOK(query(raw, "signature"), acc.Token, ts, query(raw, "nonce")) {
		return ErrSignature
	}
	skew := cb.s.store.Current().WeChatOA.TimestampSkew
	if skew <= 0 {
		return nil
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrTimestamp
	}
	if d := time.Since(time.Unix(sec, 0)); d > skew || d < -skew {
		return ErrTimestamp
	}
	return nil
}

// refuse answers a refusal in plain text, logged once with the trace id
// and counted. A failure of our own (the accounts' database) is 503, so
// WeChat tries again.
func (cb *callback) refuse(c *gin.Context, acc *Account, err error) {
	ctx := c.Request.Context()
	account := "unknown"
	if acc != nil {
		account = acc.Name
	}
	code, msg := errs.CodeOf(err)
	status := http.StatusBadRequest
	switch code {
	case errs.NotFound:
		status = http.StatusNotFound
	case errs.Forbidden:
		status = http.StatusForbidden
	case errs.TooLarge:
		status = http.StatusRequestEntityTooLarge
	case errs.Internal:
		status, msg = http.StatusServiceUnavailable, "unavailable"
		zerolog.Ctx(ctx).Error().Err(err).Str("account", account).Msg("wechat callback: accounts unavailable")
	}
	if status != http.StatusServiceUnavailable {
		zerolog.Ctx(ctx).Warn().Str("account", account).Int("status", status).Str("reason", err.Error()).Msg("wechat callback refused")
	}
	cb.s.metrics.message(account, "unknown", OutcomeRejected)
	c.Data(status, "text/plain; charset=utf-8", []byte(msg))
}

// open decrypts with the current key, then the old one, and returns the
// key that worked. Errors: ErrNoKey, ErrAppID when a key opened it for
// another appid, else ErrBadCiphertext.
func (a *Account) open(encrypted string) ([]byte, *aesKey, error) {
	if len(a.keys) == 0 {
		return nil, nil, ErrNoKey
	}
	var last error
	for _, k := range a.keys {
		msg, appID, err := k.decrypt(encrypted)
		switch {
		case err == nil && appID == a.AppID:
			return msg, k, nil
		case err == nil:
			last = ErrAppID
		case last == nil:
			last = err
		}
	}
	return nil, nil, last
}

// seal wraps a plaintext reply for safe mode: a fresh random prefix, a new
// timestamp and nonce, and MsgSignature over them.
func seal(acc *Account, key *aesKey, plain []byte) []byte {
	enc := key.encrypt(randomBytes(16), plain, acc.AppID)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nonce := randomNonce()
	return encodeEnvelope(enc, signature(acc.Token, ts, nonce, enc), ts, nonce)
}
