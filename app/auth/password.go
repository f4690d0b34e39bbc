package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters: OWASP's minimum for argon2id (19 MiB, 2 passes, one
// lane). Stored with each hash, so raising them later only affects new
// hashes and old ones still verify.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

var errBadHash = errors.New("malformed password hash")

// hasher hashes and verifies passwords with argon2id. Each hash takes
// 19 MiB for some tens of milliseconds, so at most slots run at once: a
// burst of sign-ins queues instead of growing memory without bound.
type hasher struct {
	slots chan struct{}
	// dummy is verified against when a username does not exist, so that
	// answer takes as long as a wrong password.
	dummyOnce sync.Once
	dummy     string
}

func newHasher() *hasher {
	return &hasher{slots: make(chan struct{}, 2*runtime.GOMAXPROCS(0))}
}

func (h *hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *hasher) release() { <-h.slots }

// hash returns the PHC-style encoding of password's argon2id hash with a
// fresh salt. It fails only when ctx ends while waiting for a slot.
func (h *hasher) hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	_, _ = rand.Read(salt) // crypto/rand never fails on supported platforms
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	return encodeHash(argonMemoryKiB, argonTime, argonThreads, salt, key), nil
}

// verify reports whether password matches encoded. An encoded value that
// is not an argon2id hash (a locked account's "!") never matches but costs
// the same time as one that does not.
func (h *hasher) verify(ctx context.Context, password, encoded string) (bool, error) {
	p, err := decodeHash(encoded)
	if err != nil {
		p, _ = decodeHash(h.dummyHash())
		p.locked = true
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	key := argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1 && !p.locked, nil
}

// dummyHash is computed on first use, not at construction: constructors
// stay cheap.
func (h *hasher) dummyHash() string {
	h.dummyOnce.Do(func() {
		salt := make([]byte, argonSaltLen)
		_, _ = rand.Read(salt)
		key := argon2.IDKey([]byte("no such user"), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
		h.dummy = encodeHash(argonMemoryKiB, argonTime, argonThreads, salt, key)
	})
	return h.dummy
}

type hashParams struct {
	memory  uint32
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
	locked  bool
}

func encodeHash(memory, time uint32, threads uint8, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memory, time, threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// decodeHash parses what encodeHash wrote. Parameters are bounded so that a
// tampered row cannot make verification allocate gigabytes.
func decodeHash(s string) (hashParams, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return hashParams{}, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return hashParams{}, errBadHash
	}
	var p hashParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &p.threads); err != nil {
		return hashParams{}, errBadHash
	}
	if p.memory < 1024 || p.memory > 256*1024 || p.time < 1 || p.time > 10 || p.threads < 1 || p.threads > 16 {
		return hashParams{}, errBadHash
	}
	var err error
	if p.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(p.salt) < 8 {
		return hashParams{}, errBadHash
	}
	if p.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(p.key) < 16 || len(p.key) > 64 {
		return hashParams{}, errBadHash
	}
	return p, nil
}
