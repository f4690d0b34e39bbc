package xxljob

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	xxl "github.com/xxl-job/xxl-job-executor-go"
)

const maxBatch = 100

// Callback is one element of POST {admin}/api/callback: the JSON of the
// library's (unexported) callElement, handleCode/handleMsg for admin 2.3+
// and executeResult for older admins.
type Callback struct {
	LogID         int64              `json:"logId"`
	LogDateTim    int64              `json:"logDateTim"`
	ExecuteResult *xxl.ExecuteResult `json:"executeResult,omitempty"`
	HandleCode    int                `json:"handleCode"`
	HandleMsg     string             `json:"handleMsg"`
}

func newCallback(req *xxl.RunReq, code int64, msg string) Callback {
	return Callback{
		LogID: req.LogID, LogDateTim: req.LogDateTime,
		ExecuteResult: &xxl.ExecuteResult{Code: code, Msg: msg},
		HandleCode:    int(code), HandleMsg: msg,
	}
}

func callbackDir(logPath string) string { return filepath.Join(logPath, "callbacklog") }

// sender delivers callbacks. Each callback is written to the spool dir
// before the first attempt and removed once an admin accepted it, so a
// callback survives admins being down and the executor restarting. One
// goroutine owns all pending callbacks, so none is sent twice by this
// process.
type sender struct {
	admin *adminClient
	dir   string
	retry time.Duration

	in      chan Callback
	flush   chan struct{}
	done    chan struct{}
	mu      sync.Mutex
	stopped bool
}

func newSender(admin *adminClient, dir string, retry time.Duration) *sender {
	return &sender{admin: admin, dir: dir, retry: retry,
		in: make(chan Callback, 1024), flush: make(chan struct{}), done: make(chan struct{})}
}

// start loads the spool left by an earlier process and starts delivering.
func (s *sender) start(ctx context.Context) error {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("create callback spool: %w", err)
	}
	pending, err := s.load(ctx)
	if err != nil {
		return err
	}
	go s.loop(ctx, pending)
	return nil
}

// enqueue hands over a result; it blocks only while the buffer is full.
func (s *sender) enqueue(cb Callback) { s.in <- cb }

// stop makes a last delivery attempt and ends the sender; what the admins
// did not accept stays in the spool for the next start.
func (s *sender) stop(ctx context.Context) {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	s.mu.Unlock()
	select {
	case s.flush <- struct{}{}:
		<-s.done
	case <-s.done:
	case <-ctx.Done():
	}
}

func (s *sender) loop(ctx context.Context, pending []Callback) {
	defer close(s.done)
	log := zerolog.Ctx(ctx)
	var wait <-chan time.Time // non-nil while backing off after a failure
	deliver := func() {
		var err error
		if pending, err = s.send(ctx, pending); err != nil {
			log.Warn().Err(err).Int("pending", len(pending)).Msg("xxl-job callback not accepted, kept on disk for retry")
			wait = time.After(s.retry)
		}
	}
	if len(pending) > 0 {
		deliver()
	}
	for {
		select {
		case cb := <-s.in:
			pending = s.accept(ctx, pending, cb)
			for more := true; more && len(pending) < maxBatch; {
				select {
				case cb := <-s.in:
					pending = s.accept(ctx, pending, cb)
				default:
					more = false
				}
			}
			if wait == nil {
				deliver()
			}
		case <-wait:
			wait = nil
			deliver()
		case <-s.flush:
			for more := true; more; {
				select {
				case cb := <-s.in:
					pending = s.accept(ctx, pending, cb)
				default:
					more = false
				}
			}
			if len(pending) > 0 {
				deliver()
			}
			return
		}
	}
}

// accept writes cb to the spool and adds it to pending.
func (s *sender) accept(ctx context.Context, pending []Callback, cb Callback) []Callback {
	if len(s.admin.urls) == 0 {
		zerolog.Ctx(ctx).Info().Int64("log_id", cb.LogID).Int("handle_code", cb.HandleCode).
			Msg("xxl-job callback dropped: no admin configured (xxl-job.url)")
		return pending
	}
	if err := s.persist(cb); err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Int64("log_id", cb.LogID).Msg("xxl-job callback spool write failed; held in memory only")
	}
	return append(pending, cb)
}

// send posts pending in batches until an admin refuses; it returns what is
// left.
func (s *sender) send(ctx context.Context, pending []Callback) ([]Callback, error) {
	for len(pending) > 0 {
		batch := pending[:min(len(pending), maxBatch)]
		if err := s.admin.post(ctx, "api/callback", batch); err != nil {
			return pending, err
		}
		for _, cb := range batch {
			if err := os.Remove(s.file(cb.LogID)); err != nil && !errors.Is(err, os.ErrNotExist) {
				zerolog.Ctx(ctx).Error().Err(err).Int64("log_id", cb.LogID).Msg("xxl-job callback delivered but its spool file stays")
			}
		}
		pending = pending[len(batch):]
	}
	return pending, nil
}

func (s *sender) file(logID int64) string {
	return filepath.Join(s.dir, strconv.FormatInt(logID, 10)+".json")
}

// persist writes cb atomically: a crash leaves the old file or the new one.
func (s *sender) persist(cb Callback) error {
	b, err := json.Marshal(cb)
	if err != nil {
		return fmt.Errorf("encode callback: %w", err)
	}
	tmp := s.file(cb.LogID) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write callback: %w", err)
	}
	if err := os.Rename(tmp, s.file(cb.LogID)); err != nil {
		return fmt.Errorf("write callback: %w", err)
	}
	return nil
}

// load reads the spool, oldest log id first. A file that does not decode is
// renamed to .bad and logged, never silently dropped.
func (s *sender) load(ctx context.Context) ([]Callback, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("read callback spool: %w", err)
	}
	var out []Callback
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		p := filepath.Join(s.dir, e.Name())
		var cb Callback
		b, err := os.ReadFile(p)
		if err == nil {
			err = json.Unmarshal(b, &cb)
		}
		if err != nil || cb.LogID <= 0 {
			zerolog.Ctx(ctx).Error().Err(err).Str("file", p).Msg("xxl-job callback spool file unreadable, moved aside")
			_ = os.Rename(p, p+".bad")
			continue
		}
		out = append(out, cb)
	}
	slices.SortFunc(out, func(a, b Callback) int { return cmp.Compare(a.LogID, b.LogID) })
	if len(out) > 0 {
		zerolog.Ctx(ctx).Info().Int("callbacks", len(out)).Msg("xxl-job callbacks left by the last run will be delivered")
	}
	return out, nil
}

