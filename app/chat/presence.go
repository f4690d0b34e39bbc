package chat

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// presenceTTL is how long an instance's Redis entry for a user outlives its
// last refresh: an instance that dies stops counting within it.
const (
	presenceTTL     = 60 * time.Second
	presenceRefresh = 20 * time.Second
)

// presence knows who has a socket open on which chat. Each instance counts
// its own sockets; with Redis each also keeps one entry per (user, chat) in
// a sorted set per chat, scored by expiry and refreshed while the sockets
// live, so join and leave mean a user's first socket anywhere opening and
// their last one closing.
type presence struct {
	mu       sync.Mutex
	local    map[string]map[string]int // chat → user → sockets here
	rc       *redis.Client
	prefix   string
	instance string
}

func newPresence(rc *redis.Client, prefix, instance string) *presence {
	return &presence{local: map[string]map[string]int{}, rc: rc, prefix: prefix + "chat:presence:", instance: instance}
}

// addScript adds this instance's entry and counts other live entries of
// the same user, atomically, so of two instances racing only one sees
// itself first.
var addScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
if ARGV[4] == '1' then redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1]) else redis.call('ZREM', KEYS[1], ARGV[1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
local others = 0
local suffix = ARGV[6]
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if m ~= ARGV[1] and string.sub(m, -string.len(suffix)) == suffix then others = others + 1 end
end
return others`)

// add counts a socket of user on chat and reports whether it is the user's
// first one anywhere.
func (p *presence) add(ctx context.Context, chat, user string) bool {
	p.mu.Lock()
	users := p.local[chat]
	if users == nil {
		users = map[string]int{}
		p.local[chat] = users
	}
	users[user]++
	first := users[user] == 1
	p.mu.Unlock()
	if !first {
		return false
	}
	return p.redisUpdate(ctx, chat, user, true) == 0
}

// remove uncounts a socket and reports whether it was the user's last one
// anywhere.
func (p *presence) remove(ctx context.Context, chat, user string) bool {
	p.mu.Lock()
	users := p.local[chat]
	users[user]--
	last := users[user] <= 0
	if last {
		delete(users, user)
		if len(users) == 0 {
			delete(p.local, chat)
		}
	}
	p.mu.Unlock()
	if !last {
		return false
	}
	return p.redisUpdate(ctx, chat, user, false) == 0
}

// redisUpdate returns the other instances' live entries for user; without
// Redis, or while it does not answer, none.
func (p *presence) redisUpdate(ctx context.Context, chat, user string, add bool) int64 {
	if p.rc == nil {
		return 0
	}
	now := time.Now()
	flag := "0"
	if add {
		flag = "1"
	}
	n, err := addScript.Run(ctx, p.rc, []string{p.prefix + chat},
		p.member(user), now.Add(presenceTTL).UnixMilli(), now.UnixMilli(), flag, presenceTTL.Milliseconds(), "|"+user).Int64()
	if err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("chat: presence update in redis failed; counting this instance only")
		return 0
	}
	return n
}

func (p *presence) member(user string) string { return p.instance + "|" + user }

// users lists who is present on chat, sorted.
func (p *presence) users(ctx context.Context, chat string) []string {
	p.mu.Lock()
	var out []string
	for u := range p.local[chat] {
		out = append(out, u)
	}
	p.mu.Unlock()
	if p.rc != nil {
		members, err := p.rc.ZRangeByScore(ctx, p.prefix+chat, &redis.ZRangeBy{Min: strconv.FormatInt(time.Now().UnixMilli(), 10), Max: "+inf"}).Result()
		if err != nil {
			zerolog.Ctx(ctx).Warn().Err(err).Msg("chat: presence read from redis failed; listing this instance only")
		}
		for _, m := range members {
			if _, u, ok := strings.Cut(m, "|"); ok {
				out = append(out, u)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// refresh keeps this instance's entries alive until ctx ends, then removes
// them so the others stop counting this instance at once.
func (p *presence) refresh(ctx context.Context) {
	if p.rc == nil {
		return
	}
	t := time.NewTicker(presenceRefresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			cctx := context.WithoutCancel(ctx)
			p.each(cctx, func(pipe redis.Pipeliner, key, member string) { pipe.ZRem(cctx, key, member) })
			return
		case <-t.C:
			exp := float64(time.Now().Add(presenceTTL).UnixMilli())
			p.each(ctx, func(pipe redis.Pipeliner, key, member string) {
				pipe.ZAdd(ctx, key, redis.Z{Score: exp, Member: member})
				pipe.PExpire(ctx, key, presenceTTL)
			})
		}
	}
}

func (p *presence) each(ctx context.Context, fn func(pipe redis.Pipeliner, key, member string)) {
	p.mu.Lock()
	pipe := p.rc.Pipeline()
	for chat, users := range p.local {
		for u := range users {
			fn(pipe, p.prefix+chat, p.member(u))
		}
	}
	p.mu.Unlock()
	if pipe.Len() == 0 {
		return
	}
	if _, err := pipe.Exec(ctx); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("chat: presence refresh in redis failed")
	}
}
