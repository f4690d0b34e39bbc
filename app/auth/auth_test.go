package auth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"gomicro/app/auth"
	"gomicro/app/config"
	"gomicro/app/config/configtest"
	"gomicro/app/db"
	"gomicro/app/db/dbtest"
	"gomicro/app/module"
	"gomicro/app/redisclient"
	"gomicro/app/redisclient/redistest"
	"gomicro/app/web"
)

// openDB opens and migrates a fresh database of cfg.
func openDB(t testing.TB, cfg config.Database) *gorm.DB {
	t.Helper()
	ctx := zerolog.Nop().WithContext(context.Background())
	gdb, err := db.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s, err := gdb.DB(); err == nil {
			_ = s.Close()
		}
	})
	if err := db.Migrate(ctx, gdb, auth.Migrations()); err != nil {
		t.Fatal(err)
	}
	return gdb
}

// newEngine builds the engine the binary serves with the auth module on
// gdb; rc may be nil.
func newEngine(t testing.TB, gdb *gorm.DB, rc *redis.Client, yaml string) *gin.Engine {
	t.Helper()
	_, cfg := configtest.Load(t, "log:\n  dir: \"\"\n"+yaml)
	store := config.NewStore(cfg, config.Meta{Source: config.SourceLocal})
	svc := auth.New(auth.Deps{Store: store, DB: gdb, Redis: rc})
	engine, err := web.NewEngine(web.Deps{
		Store: store, Logger: zerolog.Nop(), Registry: web.NewRegistry(), Version: "test",
		Modules: []module.Spec{auth.Module(svc)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return engine
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func do(t testing.TB, h http.Handler, method, target, bearer, body string) response {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return response{rec.Code, rec.Header(), rec.Body.Bytes()}
}

func decode[T any](t testing.TB, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	return v
}

func expectError(t testing.TB, r response, status int, code string) web.ErrorBody {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	e := decode[web.ErrorBody](t, r)
	if string(e.Code) != code || e.TraceID == "" || e.Message == "" {
		t.Fatalf("error body = %+v, want code %s with trace id and message", e, code)
	}
	return e
}

func signUp(t testing.TB, h http.Handler, name, password string) auth.UserBody {
	t.Helper()
	r := do(t, h, http.MethodPost, "/api/v1/auth/users", "", fmt.Sprintf(`{"username":%q,"password":%q}`, name, password))
	if r.status != http.StatusCreated {
		t.Fatalf("sign up %s: %d %s", name, r.status, r.body)
	}
	return decode[auth.UserBody](t, r)
}

func signIn(h http.Handler, t testing.TB, name, password string) response {
	t.Helper()
	return do(t, h, http.MethodPost, "/api/v1/auth/tokens", "", fmt.Sprintf(`{"username":%q,"password":%q}`, name, password))
}

func TestAccounts(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, cfg config.Database) {
		gdb := openDB(t, cfg)
		h := newEngine(t, gdb, nil, "")

		alice := signUp(t, h, "Alice.W-1", "correct horse")
		if alice.ID == 0 || alice.Username != "Alice.W-1" {
			t.Fatalf("sign up = %+v", alice)
		}
		t.Run("duplicate username in any case is 409", func(t *testing.T) {
			for _, name := range []string{"Alice.W-1", "alice.w-1"} {
				r := do(t, h, http.MethodPost, "/api/v1/auth/users", "", `{"username":"`+name+`","password":"another one"}`)
				expectError(t, r, http.StatusConflict, "conflict")
			}
		})
		t.Run("invalid sign-ups are 422", func(t *testing.T) {
			for _, body := range []string{
				`{"username":"ab","password":"long enough"}`,
				`{"username":"` + strings.Repeat("a", 33) + `","password":"long enough"}`,
				`{"username":"bad name","password":"long enough"}`,
				`{"username":"bad/name","password":"long enough"}`,
				`{"username":"good","password":"short"}`,
				`{"username":"good","password":"long enough","email":"not-an-email"}`,
				`{"password":"long enough"}`,
			} {
				expectError(t, do(t, h, http.MethodPost, "/api/v1/auth/users", "", body), http.StatusUnprocessableEntity, "invalid")
			}
		})

		tok := signIn(h, t, "alice.w-1", "correct horse")
		if tok.status != http.StatusCreated {
			t.Fatalf("sign in: %d %s", tok.status, tok.body)
		}
		token := decode[auth.TokenBody](t, tok)
		if len(token.Token) < 40 || time.Until(token.ExpiresAt) < 719*time.Hour || time.Until(token.ExpiresAt) > 721*time.Hour {
			t.Fatalf("token = %+v, want a long token valid 30 days", token)
		}
		var stored int64
		gdb.Table("auth_tokens").Where("token_hash = ?", token.Token).Count(&stored)
		if stored != 0 {
			t.Error("the clear token is stored")
		}
		me := do(t, h, http.MethodGet, "/api/v1/auth/users/me", token.Token, "")
		if me.status != http.StatusOK || decode[auth.UserBody](t, me) != alice {
			t.Fatalf("me = %d %s", me.status, me.body)
		}

		t.Run("wrong password and unknown user answer alike", func(t *testing.T) {
			wrong := expectError(t, signIn(h, t, "Alice.W-1", "wrong horse"), http.StatusUnauthorized, "unauthorized")
			unknown := expectError(t, signIn(h, t, "nobody", "wrong horse"), http.StatusUnauthorized, "unauthorized")
			if wrong.Message != unknown.Message || wrong.Errors != nil || unknown.Errors != nil {
				t.Fatalf("answers differ: %+v vs %+v", wrong, unknown)
			}
		})
		t.Run("bad bearer tokens are 401", func(t *testing.T) {
			for _, header := range []string{"", "Bearer", "Bearer nope", "Basic " + token.Token, "Bearer " + strings.Repeat("x", 300)} {
				req := httptest.NewRequest(http.MethodGet, "/api/v1/auth/users/me", nil)
				if header != "" {
					req.Header.Set("Authorization", header)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				expectError(t, response{rec.Code, rec.Header(), rec.Body.Bytes()}, http.StatusUnauthorized, "unauthorized")
				if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%q: no WWW-Authenticate", header)
				}
			}
		})
		t.Run("expired token is 401", func(t *testing.T) {
			other := decode[auth.TokenBody](t, signIn(h, t, "alice.w-1", "correct horse"))
			if r := do(t, h, http.MethodGet, "/api/v1/auth/users/me", other.Token, ""); r.status != http.StatusOK {
				t.Fatalf("fresh token: %d", r.status)
			}
			if err := gdb.Exec("UPDATE auth_tokens SET expires_at = ? WHERE id = (SELECT MAX(id) FROM (SELECT id FROM auth_tokens) x)", time.Now().Add(-time.Second).UTC()).Error; err != nil {
				t.Fatal(err)
			}
			expectError(t, do(t, h, http.MethodGet, "/api/v1/auth/users/me", other.Token, ""), http.StatusUnauthorized, "unauthorized")
		})
		t.Run("revoked token is 401", func(t *testing.T) {
			if r := do(t, h, http.MethodDelete, "/api/v1/auth/tokens/current", token.Token, ""); r.status != http.StatusNoContent {
				t.Fatalf("revoke: %d %s", r.status, r.body)
			}
			expectError(t, do(t, h, http.MethodGet, "/api/v1/auth/users/me", token.Token, ""), http.StatusUnauthorized, "unauthorized")
			expectError(t, do(t, h, http.MethodDelete, "/api/v1/auth/tokens/current", token.Token, ""), http.StatusUnauthorized, "unauthorized")
		})
	})
}

// TestSignInLimit: the sixth failure within the window is refused with 429,
// even with the right password, for known and unknown names alike; other
// usernames are not affected.
func TestSignInLimit(t *testing.T) {
	gdb := openDB(t, dbtest.SQLite(t))
	h := newEngine(t, gdb, nil, "")
	signUp(t, h, "bob", "right password")
	signUp(t, h, "carol", "right password")
	for _, name := range []string{"bob", "ghost"} {
		for i := range 5 {
			expectError(t, signIn(h, t, name, "wrong"), http.StatusUnauthorized, "unauthorized")
			_ = i
		}
		expectError(t, signIn(h, t, name, "wrong"), http.StatusTooManyRequests, "too_many_requests")
	}
	expectError(t, signIn(h, t, "BOB", "right password"), http.StatusTooManyRequests, "too_many_requests")
	if r := signIn(h, t, "carol", "right password"); r.status != http.StatusCreated {
		t.Fatalf("another user is limited too: %d %s", r.status, r.body)
	}
}

// TestSignInLimitHoldsUnderConcurrency: wrong passwords sent all at once
// get exactly max_login_failures checks; the rest are refused unchecked.
func TestSignInLimitHoldsUnderConcurrency(t *testing.T) {
	gdb := openDB(t, dbtest.SQLite(t))
	h := newEngine(t, gdb, nil, "")
	signUp(t, h, "frank", "right password")
	const n = 30
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { statuses[i] = signIn(h, t, "frank", fmt.Sprintf("wrong %d", i)).status })
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[http.StatusUnauthorized] != 5 || count[http.StatusTooManyRequests] != n-5 {
		t.Fatalf("statuses %v; want 5 × 401 (the limit) and the rest 429", count)
	}
	// Right passwords take their attempt back: a user signing in often is
	// never limited by it.
	signUp(t, h, "grace", "right password")
	for range 8 {
		if r := signIn(h, t, "grace", "right password"); r.status != http.StatusCreated {
			t.Fatalf("sign-in %d %s", r.status, r.body)
		}
	}
}

// TestSignInLimitWindow: with a short window the limit lifts by itself.
func TestSignInLimitWindow(t *testing.T) {
	gdb := openDB(t, dbtest.SQLite(t))
	h := newEngine(t, gdb, nil, "auth:\n  login_window: 1s\n  max_login_failures: 2\n")
	signUp(t, h, "dave", "right password")
	for range 2 {
		expectError(t, signIn(h, t, "dave", "wrong"), http.StatusUnauthorized, "unauthorized")
	}
	expectError(t, signIn(h, t, "dave", "right password"), http.StatusTooManyRequests, "too_many_requests")
	deadline := time.Now().Add(5 * time.Second)
	for signIn(h, t, "dave", "right password").status != http.StatusCreated {
		if time.Now().After(deadline) {
			t.Fatal("the limit did not lift after its window")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestSignInLimitSharedByInstances: with Redis, two instances on one
// database count the same failures.
func TestSignInLimitSharedByInstances(t *testing.T) {
	rcfg := redistest.Config(t)
	gdb := openDB(t, dbtest.SQLite(t))
	ctx := zerolog.Nop().WithContext(context.Background())
	yaml := fmt.Sprintf("redis:\n  addr: %q\n  key_prefix: %q\n", rcfg.Addr, rcfg.KeyPrefix)
	var hs []*gin.Engine
	for range 2 {
		rc := redisclient.Open(ctx, rcfg)
		t.Cleanup(func() { _ = rc.Close() })
		hs = append(hs, newEngine(t, gdb, rc, yaml))
	}
	signUp(t, hs[0], "erin", "right password")
	for i := range 5 {
		expectError(t, signIn(hs[i%2], t, "erin", "wrong"), http.StatusUnauthorized, "unauthorized")
	}
	expectError(t, signIn(hs[1], t, "erin", "right password"), http.StatusTooManyRequests, "too_many_requests")
	keys, err := redistest.Client(t, rcfg).Keys(ctx, rcfg.KeyPrefix+"auth:failures:*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("redis keys = %v, %v; want one prefixed failure key", keys, err)
	}
}

// TestConcurrentSignUpsOneWins: racing sign-ups of one name give one 201
// and 409s, never a 500.
func TestConcurrentSignUpsOneWins(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, cfg config.Database) {
		h := newEngine(t, openDB(t, cfg), nil, "")
		var wg sync.WaitGroup
		codes := make([]int, 4)
		for i := range codes {
			wg.Go(func() {
				codes[i] = do(t, h, http.MethodPost, "/api/v1/auth/users", "", `{"username":"race","password":"long enough"}`).status
			})
		}
		wg.Wait()
		created := 0
		for _, c := range codes {
			switch c {
			case http.StatusCreated:
				created++
			case http.StatusConflict:
			default:
				t.Fatalf("codes = %v", codes)
			}
		}
		if created != 1 {
			t.Fatalf("codes = %v, want one 201", codes)
		}
	})
}
