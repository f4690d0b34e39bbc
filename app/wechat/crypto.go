package wechat

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"

	"gomicro/app/config"
)

// padBlock is WeChat's PKCS#7 block: 32 bytes, not AES's 16.
const padBlock = 32

// aesKey is one EncodingAESKey, ready to use: AES-256-CBC with the first
// 16 key bytes as IV, as WeChat's message encryption specifies.
type aesKey struct {
	block cipher.Block
	iv    []byte
}

// parseKey decodes an EncodingAESKey. It returns ErrBadKey unless the key
// is 43 base64 characters decoding (with "=" appended) to 32 bytes.
func parseKey(encodingAESKey string) (*aesKey, error) {
	if !config.ValidEncodingAESKey(encodingAESKey) {
		return nil, ErrBadKey
	}
	raw, _ := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadKey, err)
	}
	return &aesKey{block: block, iv: raw[:aes.BlockSize]}, nil
}

// encrypt seals msg for appID behind the 16-byte random prefix and returns
// it base64-encoded: random ‖ uint32 BE len(msg) ‖ msg ‖ appID, padded to a
// multiple of 32.
func (k *aesKey) encrypt(random []byte, msg []byte, appID string) string {
	n := 16 + 4 + len(msg) + len(appID)
	pad := padBlock - n%padBlock
	plain := make([]byte, n+pad)
	copy(plain, random[:16])
	binary.BigEndian.PutUint32(plain[16:], uint32(len(msg)))
	copy(plain[20:], msg)
	copy(plain[20+len(msg):], appID)
	for i := n; i < len(plain); i++ {
		plain[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(k.block, k.iv).CryptBlocks(plain, plain)
	return base64.StdEncoding.EncodeToString(plain)
}

// decrypt opens a base64 ciphertext and returns the message and the appid
// it was sealed for. Errors wrap ErrBadCiphertext: not base64, a length not
// a multiple of 16, bad padding, or a length field past the end.
func (k *aesKey) decrypt(b64 string) (msg []byte, appID string, err error) {
	buf, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, "", fmt.Errorf("%w: not base64", ErrBadCiphertext)
	}
	if len(buf) == 0 || len(buf)%aes.BlockSize != 0 {
		return nil, "", fmt.Errorf("%w: length %d is not a multiple of 16", ErrBadCiphertext, len(buf))
	}
	cipher.NewCBCDecrypter(k.block, k.iv).CryptBlocks(buf, buf)
	pad := int(buf[len(buf)-1])
	if pad < 1 || pad > padBlock || pad > len(buf) {
		return nil, "", fmt.Errorf("%w: bad padding", ErrBadCiphertext)
	}
	for _, b := range buf[len(buf)-pad:] {
		if int(b) != pad {
			return nil, "", fmt.Errorf("%w: bad padding", ErrBadCiphertext)
		}
	}
	body := buf[:len(buf)-pad]
	if len(body) < 20 {
		return nil, "", fmt.Errorf("%w: too short", ErrBadCiphertext)
	}
	size := binary.BigEndian.Uint32(body[16:20])
	if uint64(size) > uint64(len(body)-20) {
		return nil, "", fmt.Errorf("%w: length field past the end", ErrBadCiphertext)
	}
	return body[20 : 20+size], string(body[20+size:]), nil
}

// signature is WeChat's: the lowercase hex SHA-1 of the parts sorted and
// joined.
func signature(parts ...string) string {
	sum := sign(parts)
	return hex.EncodeToString(sum[:])
}

// signatureOK compares a received hex signature with the expected one in
// constant time (hex of either case), without allocating: it runs on every
// callback.
func signatureOK(got string, parts ...string) bool {
	var dec [sha1.Size]byte
	if len(got) != 2*sha1.Size {
		return false
	}
	if _, err := hex.Decode(dec[:], []byte(got)); err != nil {
		return false
	}
	want := sign(parts)
	return subtle.ConstantTimeCompare(dec[:], want[:]) == 1
}

func sign(parts []string) [sha1.Size]byte {
	slices.Sort(parts)
	buf := make([]byte, 0, 512)
	for _, p := range parts {
		buf = append(buf, p...)
	}
	return sha1.Sum(buf)
}

// randomBytes returns n bytes from crypto/rand, which never fails on the
// platforms Go supports.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// nonceAlphabet is what reply nonces are drawn from: digits and letters,
// safe anywhere in XML.
const nonceAlphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// randomNonce returns a 16-character nonce for a safe-mode reply.
func randomNonce() string {
	b := randomBytes(16)
	for i := range b {
		b[i] = nonceAlphabet[int(b[i])%len(nonceAlphabet)]
	}
	return string(b)
}
