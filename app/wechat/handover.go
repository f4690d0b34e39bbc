package wechat

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// A dispatched message has one state key in Redis, and every change of it
// is one script, so the agent (answering WeChat in time) and a worker
// (sending through the customer-service API) can never both deliver its
// reply, nor both leave it. The value is
//
//	(none)   no worker has the message yet and the agent still waits
//	w        a worker is running the chain and the agent still waits
//	g        the agent gave up and answered success: a worker delivers
//	r<reply> the chain finished in time; the reply waits for the agent
//	a        the agent took the reply (or runs the chain itself): done
//	c<reply> a worker claimed the delivery through the customer-service API
//	s        a worker sent it, or there was nothing to send: done
//
// <reply> is the Reply as JSON, empty for none. Any state but none, w and g
// means the chain completed, so a redelivered message is not run again.
// An agent that falls back to running the chain itself (the broker's
// confirm came late) finds w when a worker got the message first: it
// leaves the chain to the worker (g) instead of running it a second time.
const (
	// pendingTTL keeps g and c states and the attempt count for as long as
	// WeChat's customer-service API takes a reply (48 hours).
	pendingTTL = 48 * time.Hour
	// doneTTL keeps finished states for redeliveries of a completed
	// message, which come within seconds of a worker's loss.
	doneTTL = time.Hour
	// staleAfter: a worker finishing this long past the agent's deadline
	// treats the agent as gone (it gave up, or its Redis call failed) and
	// delivers itself; the claim still decides if both try.
	staleAfter = time.Second
)

// agentTake moves a reply to the agent. ARGV[1] is wait (take a stored
// reply, else nothing), giveup (mark g when none is stored) or own (mark a:
// the agent runs the chain itself, unless a worker runs it: then g). It
// returns {kind, reply}: kind is reply, pending, late, own or taken (a
// worker has the chain or the delivery).
var agentTake = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, 1) == 'r' then
  redis.call('SET', KEYS[1], 'a', 'PX', ARGV[3])
  return {'reply', string.sub(v, 2)}
end
if ARGV[1] == 'wait' then return {'pending', ''} end
if v == 'w' then
  redis.call('SET', KEYS[1], 'g', 'PX', ARGV[2])
  if ARGV[1] == 'own' then return {'taken', ''} end
  return {'late', ''}
end
if not v or v == 'g' then
  if ARGV[1] == 'giveup' then
    redis.call('SET', KEYS[1], 'g', 'PX', ARGV[2])
    return {'late', ''}
  end
  redis.call('SET', KEYS[1], 'a', 'PX', ARGV[3])
  return {'own', ''}
end
return {'taken', ''}
`)

// workerBegin counts a delivery to a worker and says what to do with it:
// {run, n} run the chain (attempt n; the state says w while the agent
// waits), {send, n, reply} deliver a reply claimed before (a worker died
// sending it), {done} it completed before.
var workerBegin = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
local k = v and string.sub(v, 1, 1) or ''
if k == 'r' or k == 'a' or k == 's' then return {'done', 0, ''} end
local n = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
if k == 'c' then return {'send', n, string.sub(v, 2)} end
if not v then redis.call('SET', KEYS[1], 'w', 'PX', ARGV[1]) end
return {'run', n, ''}
`)

// workerComplete records the chain's reply (ARGV[1]). While the agent
// waits it is stored for it and the agent told on channel ARGV[5] (the
// message's id, ARGV[6]); once the agent gave up (or, ARGV[2] = 1, its
// deadline is long past) the worker claims the delivery. It returns
// {stored}, {send, reply} or {done} (a delivery was decided before).
var workerComplete = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
local waiting = (not v) or v == 'w'
if v == 'g' or (waiting and ARGV[2] == '1') then
  if ARGV[1] == '' then
    redis.call('SET', KEYS[1], 's', 'PX', ARGV[4])
    return {'done', ''}
  end
  redis.call('SET', KEYS[1], 'c' .. ARGV[1], 'PX', ARGV[3])
  return {'send', ARGV[1]}
end
if waiting then
  redis.call('SET', KEYS[1], 'r' .. ARGV[1], 'PX', ARGV[4])
  redis.call('PUBLISH', ARGV[5], ARGV[6])
  return {'stored', ''}
end
if string.sub(v, 1, 1) == 'c' then return {'send', string.sub(v, 2)} end
return {'done', ''}
`)

// handover runs the scripts on the state of dispatched messages.
type handover struct {
	rc     *redis.Client
	prefix func() string
}

func (h handover) stateKey(id string) string { return h.prefix() + "wechat:task:" + id }

// resultsChannel is the pub/sub channel an agent hears its results on.
func (h handover) resultsChannel(agent string) string {
	return h.prefix() + "wechat:results:" + agent
}

func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

// take runs agentTake in mode (wait, giveup, own).
func (h handover) take(ctx context.Context, id, mode string) (kind, reply string, err error) {
	res, err := agentTake.Run(ctx, h.rc, []string{h.stateKey(id)}, mode, ms(pendingTTL), ms(doneTTL)).StringSlice()
	if err != nil || len(res) != 2 {
		return "", "", fmt.Errorf("handover take: %w", errOr(err, res))
	}
	return res[0], res[1], nil
}

// begin runs workerBegin.
func (h handover) begin(ctx context.Context, id string) (kind string, attempt int64, reply string, err error) {
	key := h.stateKey(id)
	res, err := workerBegin.Run(ctx, h.rc, []string{key, key + ":attempts"}, ms(pendingTTL)).Slice()
	if err != nil || len(res) != 3 {
		return "", 0, "", fmt.Errorf("handover begin: %w", errOr(err, res))
	}
	kind, _ = res[0].(string)
	attempt, _ = res[1].(int64)
	reply, _ = res[2].(string)
	return kind, attempt, reply, nil
}

// complete runs workerComplete for the agent listening on channel.
func (h handover) complete(ctx context.Context, id, channel, reply string, stale bool) (kind, claimed string, err error) {
	st := "0"
	if stale {
		st = "1"
	}
	res, err := workerComplete.Run(ctx, h.rc, []string{h.stateKey(id)}, reply, st, ms(pendingTTL), ms(doneTTL), channel, id).StringSlice()
	if err != nil || len(res) != 2 {
		return "", "", fmt.Errorf("handover complete: %w", errOr(err, res))
	}
	return res[0], res[1], nil
}

// sent marks a claimed delivery done.
func (h handover) sent(ctx context.Context, id string) error {
	if err := h.rc.Set(ctx, h.stateKey(id), "s", doneTTL).Err(); err != nil {
		return fmt.Errorf("handover sent: %w", err)
	}
	return nil
}

func errOr[T any](err error, res []T) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("unexpected script answer %v", res)
}
