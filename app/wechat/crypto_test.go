package wechat

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// The official samples published with WeChat's message-encryption SDK:
// the Java WXBizMsgCrypt test and the Python Sample.py.
const (
	javaKey     = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	javaToken   = "pamtest"
	javaAppID   = "wxb11529c136998cb6"
	javaRandom  = "aaaabbbbccccdddd"
	javaReply   = "我是中文abcd123"
	javaCipher  = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
	javaReply2  = "<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName><FromUserName><![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime><MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId><Title><![CDATA[testCallBackReplyVideo]]></Title><Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>"
	javaCipher2 = "jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkupqcEcW7ZQweImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb3tYPKAlHF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04sq7KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9OxchWVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb"

	pyToken     = "spamtest"
	pyAppID     = "wx2c2769f8efd9abc2"
	pyTimestamp = "1409735669"
	pyNonce     = "1320562132"
	pyMsgSign   = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
	pyEncrypt   = "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)

func TestJavaSampleEncrypts(t *testing.T) {
	k, err := parseKey(javaKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ msg, want string }{{javaReply, javaCipher}, {javaReply2, javaCipher2}} {
		if got := k.encrypt([]byte(javaRandom), []byte(tt.msg), javaAppID); got != tt.want {
			t.Errorf("encrypt(%.20q…) = %s\nwant %s", tt.msg, got, tt.want)
		}
		msg, appID, err := k.decrypt(tt.want)
		if err != nil || string(msg) != tt.msg || appID != javaAppID {
			t.Errorf("decrypt = %q, %q, %v", msg, appID, err)
		}
	}
}

func TestPythonSampleDecrypts(t *testing.T) {
	if !signatureOK(pyMsgSign, pyToken, pyTimestamp, pyNonce, pyEncrypt) {
		t.Fatal("msg_signature of Sample.py does not verify")
	}
	k, err := parseKey(javaKey) // Sample.py uses the same EncodingAESKey
	if err != nil {
		t.Fatal(err)
	}
	plain, appID, err := k.decrypt(pyEncrypt)
	if err != nil || appID != pyAppID {
		t.Fatalf("decrypt: appid %q, %v", appID, err)
	}
	m, err := DecodeMessage(plain)
	if err != nil {
		t.Fatal(err)
	}
	// Compatible mode: the sealed message repeats the plaintext fields.
	if m.ToUserName != "gh_10f6c3c3ac5a" || m.FromUserName != "oyORnuP8q7ou2gfYjqLzSIWZf0rs" || m.CreateTime != 1409735668 ||
		m.MsgType != "text" || m.Content != "abcdteT" || m.MsgID != "6054768590064713728" {
		t.Errorf("decrypted message = %+v", m)
	}
}

func TestCryptoRefuses(t *testing.T) {
	k, err := parseKey(javaKey)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(javaKey + "=")
	sealRaw := func(plain []byte) string { // AES-CBC without our padding rules
		block, _ := aes.NewCipher(raw)
		out := make([]byte, len(plain))
		cipher.NewCBCEncrypter(block, raw[:16]).CryptBlocks(out, plain)
		return base64.StdEncoding.EncodeToString(out)
	}
	padded := func(body []byte, pad byte, n int) []byte {
		return append(body, []byte(strings.Repeat(string(rune(pad)), n))...)
	}
	header := append([]byte(javaRandom), 0, 0, 0, 2, 'h', 'i')
	tests := []struct {
		name, b64 string
	}{
		{"not base64", "***"},
		{"length not a multiple of 16", base64.StdEncoding.EncodeToString(make([]byte, 20))},
		{"empty", ""},
		{"padding byte 0", sealRaw(padded(header, 0, 32-len(header)))},
		{"padding byte over 32", sealRaw(padded(append(header, make([]byte, 32)...), 33, 32-len(header)))},
		{"padding bytes disagree", sealRaw(append(padded(header, 5, 32-len(header)-1), 4))},
		{"length field past the end", sealRaw(padded(append([]byte(javaRandom), 0, 0, 1, 0), 12, 12))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := k.decrypt(tt.b64); !errors.Is(err, ErrBadCiphertext) {
				t.Fatalf("err = %v, want ErrBadCiphertext", err)
			}
		})
	}
	for _, key := range []string{"abcde", javaKey + "H", javaKey[:42], strings.Repeat("*", 43)} {
		if _, err := parseKey(key); !errors.Is(err, ErrBadKey) {
			t.Errorf("parseKey(%q) = %v, want ErrBadKey", key, err)
		}
	}
	acc := &Account{AppID: "wx-other", keys: []*aesKey{k}}
	if _, _, err := acc.open(javaCipher); !errors.Is(err, ErrAppID) {
		t.Errorf("open of a message for %s by wx-other = %v, want ErrAppID", javaAppID, err)
	}
	if signatureOK(strings.Repeat("0", 40), pyToken, pyTimestamp, pyNonce, pyEncrypt) {
		t.Error("a wrong msg_signature verified")
	}
}

func TestOldKeyFallback(t *testing.T) {
	oldKey, _ := parseKey(javaKey)
	newKey, _ := parseKey(strings.Repeat("Z", 43))
	acc := &Account{AppID: javaAppID, keys: []*aesKey{newKey, oldKey}}
	msg, used, err := acc.open(javaCipher)
	if err != nil || string(msg) != javaReply || used != oldKey {
		t.Fatalf("open = %q, old key used %v, %v", msg, used == oldKey, err)
	}
}
