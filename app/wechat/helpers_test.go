package wechat_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"gomicro/app/config"
	"gomicro/app/config/configtest"
	"gomicro/app/db"
	"gomicro/app/logging/logtest"
	"gomicro/app/module"
	"gomicro/app/redisclient"
	"gomicro/app/web"
	"gomicro/app/wechat"
)

const (
	testToken = "t0ken-for-tests"
	testAppID = "wx0123456789abcdef"
	testKey   = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	otherKey  = "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkj"
	ghID      = "gh_0123456789ab"
	openID    = "oUser-0001"
	adminTok  = "admin-secret"
)

// accountYAML is a config account "shop" with every mode possible.
func accountYAML(extra string) string {
	return `wechat_oa:
  accounts:
    shop:
      app_id: ` + testAppID + `
      app_secret: app-secret
      token: ` + testToken + `
      encoding_aes_key: ` + testKey + `
      welcome: 欢迎关注
      keywords:
        - {match: exact, pattern: hello, reply: world}
        - {match: prefix, pattern: "price ", reply: "see the menu", priority: 1}
` + extra
}

type envOptions struct {
	yaml   string
	db     *config.Database
	redis  *config.Redis
	units  []wechat.Unit
	noLogs bool
	// maxBody sets server.max_body_bytes when not 0.
	maxBody int64
	// amqp, when set, turns wechat_oa.dispatch to amqp with this section
	// (redis must be set too).
	amqp *config.AMQP
}

// env is the server's real engine with the wechat module, as the binary
// builds it.
type env struct {
	t     testing.TB
	h     http.Handler
	svc   *wechat.Service
	store *config.Store
	reg   *prometheus.Registry
	logs  *logtest.Buffer
	rc    *redis.Client
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	yaml := "log:\n  dir: \"\"\nserver:\n  admin_token: " + adminTok + "\n"
	if o.maxBody > 0 {
		yaml += fmt.Sprintf("  max_body_bytes: %d\n", o.maxBody)
	}
	yaml += o.yaml
	if o.redis != nil {
		yaml += fmt.Sprintf("redis:\n  addr: %s\n  key_prefix: %q\n", o.redis.Addr, o.redis.KeyPrefix)
	}
	if o.amqp != nil {
		yaml = strings.Replace(yaml, "wechat_oa:\n", "wechat_oa:\n  dispatch: amqp\n  worker_port: 0\n", 1)
		yaml += fmt.Sprintf("amqp:\n  url: %q\n  queue: %q\n  prefetch: %d\n", o.amqp.URL, o.amqp.Queue, max(o.amqp.Prefetch, 1))
	}
	_, cfg := configtest.Load(t, yaml)
	store := config.NewStore(cfg, config.Meta{Source: config.SourceLocal})
	e := &env{t: t, store: store, reg: prometheus.NewRegistry(), logs: &logtest.Buffer{}}
	logger := zerolog.New(e.logs)
	if o.noLogs {
		logger = zerolog.Nop()
	}
	ctx := logger.WithContext(context.Background())
	var gdb *gorm.DB
	if o.db != nil {
		gdb = openDB(t, *o.db)
	}
	if o.redis != nil {
		e.rc = redisclient.Open(ctx, cfg.Redis)
		t.Cleanup(func() { _ = e.rc.Close() })
	}
	e.svc = wechat.New(wechat.Deps{Store: store, DB: gdb, Redis: e.rc, Metrics: e.reg, Units: o.units})
	spec := e.svc.Spec()
	if gdb != nil {
		if err := db.Migrate(ctx, gdb, spec.Migrations); err != nil {
			t.Fatal(err)
		}
	}
	h, err := web.NewEngine(web.Deps{Store: store, Logger: logger, Registry: e.reg, Modules: []module.Spec{spec}})
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	if err := spec.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := spec.Stop(sctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return e
}

func openDB(t testing.TB, cfg config.Database) *gorm.DB {
	t.Helper()
	gdb, err := db.Open(zerolog.Nop().WithContext(context.Background()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s, err := gdb.DB(); err == nil {
			_ = s.Close()
		}
	})
	return gdb
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (e *env) serve(req *http.Request) response {
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// counter reads wechat_messages_total for account, type and outcome.
func (e *env) counter(account, typ, outcome string) float64 {
	return metricValue(e.t, e.reg, "wechat_messages_total", map[string]string{"account": account, "type": typ, "outcome": outcome})
}

// metricValue reads the counter or gauge name with exactly labels from
// reg; 0 when there is none.
func metricValue(t testing.TB, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			if maps.Equal(got, labels) {
				if m.GetGauge() != nil {
					return m.GetGauge().GetValue()
				}
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// waitFor polls cond until it holds or 5s pass, for state another
// goroutine reaches (a metric, a delivery).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// peer plays WeChat's side of the callback with its own code for the
// protocol: signatures, AES-CBC sealing and opening, XML by encoding/xml.
type peer struct {
	token, appID, key string
}

func sha1Sorted(parts ...string) string {
	slices.Sort(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	return hex.EncodeToString(sum[:])
}

func (p peer) aes() (cipher.Block, []byte) {
	raw, err := base64.StdEncoding.DecodeString(p.key + "=")
	if err != nil {
		panic(err)
	}
	b, err := aes.NewCipher(raw)
	if err != nil {
		panic(err)
	}
	return b, raw[:16]
}

func (p peer) seal(msg string) string {
	block, iv := p.aes()
	var plain bytes.Buffer
	random := make([]byte, 16)
	_, _ = rand.Read(random)
	plain.Write(random)
	_ = binary.Write(&plain, binary.BigEndian, uint32(len(msg)))
	plain.WriteString(msg)
	plain.WriteString(p.appID)
	pad := 32 - plain.Len()%32
	plain.Write(bytes.Repeat([]byte{byte(pad)}, pad))
	out := plain.Bytes()
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, out)
	return base64.StdEncoding.EncodeToString(out)
}

func (p peer) unseal(t testing.TB, b64 string) string {
	t.Helper()
	block, iv := p.aes()
	buf, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(buf)%16 != 0 {
		t.Fatalf("reply Encrypt is not base64 blocks: %v", err)
	}
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(buf, buf)
	buf = buf[:len(buf)-int(buf[len(buf)-1])]
	n := binary.BigEndian.Uint32(buf[16:20])
	if got := string(buf[20+n:]); got != p.appID {
		t.Fatalf("reply sealed for appid %q, want %q", got, p.appID)
	}
	return string(buf[20 : 20+n])
}

// mode is how a message travels: plain, compatible or safe.
type mode string

const (
	plainMode      mode = "plain"
	compatibleMode mode = "compatible"
	safeMode       mode = "safe"
)

// request builds the POST WeChat makes for msg (its XML) to /wechat/{app}.
func (p peer) request(app string, m mode, msg string) *http.Request {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nonce := strconv.FormatInt(time.Now().UnixNano()%1e9, 10)
	q := url.Values{"signature": {sha1Sorted(p.token, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}, "openid": {openID}}
	body := msg
	if m != plainMode {
		enc := p.seal(msg)
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", sha1Sorted(p.token, ts, nonce, enc))
		if m == safeMode {
			body = "<xml><ToUserName><![CDATA[" + ghID + "]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
		} else {
			body = strings.Replace(msg, "</xml>", "<Encrypt><![CDATA["+enc+"]]></Encrypt></xml>", 1)
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/wechat/"+app+"?"+q.Encode(), strings.NewReader(body))
	req.Header.Set("Content-Type", "text/xml")
	return req
}

// replyXML is a passive reply as encoding/xml reads it.
type replyXML struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	CreateTime   int64  `xml:"CreateTime"`
	MsgType      string `xml:"MsgType"`
	Content      string `xml:"Content"`
	Image        struct {
		MediaID string `xml:"MediaId"`
	} `xml:"Image"`
	Voice struct {
		MediaID string `xml:"MediaId"`
	} `xml:"Voice"`
	Video struct {
		MediaID     string `xml:"MediaId"`
		Title       string `xml:"Title"`
		Description string `xml:"Description"`
	} `xml:"Video"`
	Music struct {
		Title        string `xml:"Title"`
		Description  string `xml:"Description"`
		MusicURL     string `xml:"MusicUrl"`
		HQMusicURL   string `xml:"HQMusicUrl"`
		ThumbMediaID string `xml:"ThumbMediaId"`
	} `xml:"Music"`
	ArticleCount int `xml:"ArticleCount"`
	Articles     []struct {
		Title       string `xml:"Title"`
		Description string `xml:"Description"`
		PicURL      string `xml:"PicUrl"`
		URL         string `xml:"Url"`
	} `xml:"Articles>item"`
	TransInfo struct {
		KfAccount string `xml:"KfAccount"`
	} `xml:"TransInfo"`
}

// reply reads a callback's answer: "success" gives nil; a safe-mode
// envelope is verified and opened first.
func (p peer) reply(t testing.TB, m mode, r response) *replyXML {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if string(r.body) == "success" {
		return nil
	}
	body := r.body
	if m == safeMode {
		var env struct {
			Encrypt      string `xml:"Encrypt"`
			MsgSignature string `xml:"MsgSignature"`
			TimeStamp    string `xml:"TimeStamp"`
			Nonce        string `xml:"Nonce"`
			ToUserName   string `xml:"ToUserName"`
		}
		if err := xml.Unmarshal(body, &env); err != nil {
			t.Fatalf("envelope %s: %v", body, err)
		}
		if env.ToUserName != "" || env.Encrypt == "" || env.Nonce == "" || env.TimeStamp == "" {
			t.Fatalf("safe-mode reply is not a bare envelope: %s", body)
		}
		if want := sha1Sorted(p.token, env.TimeStamp, env.Nonce, env.Encrypt); env.MsgSignature != want {
			t.Fatalf("MsgSignature %s, want %s", env.MsgSignature, want)
		}
		body = []byte(p.unseal(t, env.Encrypt))
	}
	var out replyXML
	if err := xml.Unmarshal(body, &out); err != nil {
		t.Fatalf("reply %s: %v", body, err)
	}
	if out.ToUserName != openID || out.FromUserName != ghID || out.CreateTime == 0 {
		t.Fatalf("reply not from %s to %s: %s", ghID, openID, body)
	}
	return &out
}

// textMsg is a text message from openID to the account.
func textMsg(content string, id int64) string {
	return fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>`+
		`<CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content><MsgId>%d</MsgId></xml>`,
		ghID, openID, time.Now().Unix(), content, id)
}

func eventMsg(event, key string) string {
	return fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>`+
		`<CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[%s]]></Event><EventKey><![CDATA[%s]]></EventKey></xml>`,
		ghID, openID, time.Now().UnixNano(), event, key)
}

var shop = peer{token: testToken, appID: testAppID, key: testKey}

func readAll(t testing.TB, r io.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
