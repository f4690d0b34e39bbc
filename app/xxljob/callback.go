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
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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

// sender delivers callbacks. Callbacks are grouped into batches as they
// arrive; each batch is written to one spool file before its first attempt
// and removed once an admin accepted it, so callbacks survive admins being
// down and the executor restarting. One goroutine owns all pending batches,
// so this process never sends a callback twice.
type sender struct {
	admin   *adminClient
	dir     string
	retry   time.Duration
	pending prometheus.Gauge
	// settled is told of callbacks once they are on the spool, delivered
	// or dropped: from then on the sender alone answers for them.
	settled func([]Callback) error

	in      chan Callback
	flush   chan struct{}
	done    chan struct{}
	cancel  context.CancelFunc // ends the delivery in flight when stop's ctx ends
	mu      sync.Mutex         // held while handing over, so none is sent after stop
	stopped bool
	seq     atomic.Int64 // spool file names, unique within this process
}

// batch is one spool file and the callbacks it holds; settled once it is
// on disk or delivered.
type batch struct {
	file    string
	cbs     []Callback
	settled bool
}

func newSender(admin *adminClient, dir string, retry time.Duration, pending prometheus.Gauge, settled func([]Callback) error) *sender {
	return &sender{admin: admin, dir: dir, retry: retry, pending: pending, settled: settled,
		in: make(chan Callback, 1024), flush: make(chan struct{}), done: make(chan struct{})}
}

// start loads the spool left by an earlier process and starts delivering.
// Deliveries run under a ctx of their own, which only stop cancels. It
// returns the log ids whose results are on the spool.
func (s *sender) start(ctx context.Context) (map[int64]bool, error) {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, fmt.Errorf("create callback spool: %w", err)
	}
	pending, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	spooled := map[int64]bool{}
	for _, b := range pending {
		for _, cb := range b.cbs {
			spooled[cb.LogID] = true
		}
	}
	ctx, s.cancel = context.WithCancel(ctx)
	go s.loop(ctx, pending)
	return spooled, nil
}

// settle tells settled of b's callbacks, once.
func (s *sender) settle(ctx context.Context, b *batch) {
	if b.settled {
		return
	}
	b.settled = true
	if err := s.settled(b.cbs); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("xxl-job run records not marked reported; a restart reports those runs once more")
	}
}

// enqueue hands over a result; it blocks only while the buffer is full. A
// result handed over after stop (a /kill racing shutdown) goes straight to
// the spool for the next start: nobody reads the channel any more.
func (s *sender) enqueue(ctx context.Context, cb Callback) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.admin.urls) > 0 {
		s.pending.Inc() // counted from hand-over, not from the first attempt
	}
	if !s.stopped {
		s.in <- cb // the loop drains s.in without taking s.mu
		return
	}
	if len(s.admin.urls) == 0 {
		s.drop(ctx, []Callback{cb})
		return
	}
	b := s.newBatch([]Callback{cb})
	if err := persist(b); err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Int64("log_id", cb.LogID).Int("handle_code", cb.HandleCode).
			Msg("xxl-job callback after stop could not be spooled; the next start reports the run failed")
		s.pending.Dec()
		return
	}
	s.settle(ctx, &b)
}

// stop makes a last delivery attempt and ends the sender, all within ctx:
// when ctx ends, the delivery in flight is cancelled (an admin that hangs
// would otherwise hold it for the client timeout). Everything handed over is
// on disk before its first attempt, so what the admins did not accept is
// delivered by the next start.
func (s *sender) stop(ctx context.Context) {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	s.mu.Unlock()
	defer s.cancel()
	defer context.AfterFunc(ctx, s.cancel)()
	s.flush <- struct{}{} // the loop takes it after at most one delivery attempt
	<-s.done
}

func (s *sender) loop(ctx context.Context, pending []batch) {
	defer close(s.done)
	log := zerolog.Ctx(ctx)
	var wait <-chan time.Time // non-nil while backing off after a failure
	deliver := func(ctx context.Context) {
		var err error
		pending, err = s.send(ctx, pending)
		if err != nil {
			log.Warn().Err(err).Int("batches", len(pending)).Msg("xxl-job callback not accepted, kept on disk for retry")
			wait = time.After(s.retry)
		}
	}
	if len(pending) > 0 {
		deliver(ctx)
	}
	for {
		select {
		case cb := <-s.in:
			pending = s.accept(ctx, pending, s.drain(cb))
			if wait == nil {
				deliver(ctx)
			}
		case <-wait:
			wait = nil
			deliver(ctx)
		case <-s.flush:
			for {
				select {
				case cb := <-s.in:
					pending = s.accept(ctx, pending, s.drain(cb))
					continue
				default:
				}
				break
			}
			if len(pending) > 0 {
				deliver(ctx)
			}
			return
		}
	}
}

// drain returns cb and whatever else is waiting, up to one batch.
func (s *sender) drain(cb Callback) []Callback {
	cbs := []Callback{cb}
	for len(cbs) < maxBatch {
		select {
		case cb := <-s.in:
			cbs = append(cbs, cb)
		default:
			return cbs
		}
	}
	return cbs
}

// accept writes cbs to the spool as one batch and adds it to pending.
func (s *sender) accept(ctx context.Context, pending []batch, cbs []Callback) []batch {
	if len(s.admin.urls) == 0 {
		s.drop(ctx, cbs)
		return pending
	}
	b := s.newBatch(cbs)
	if err := persist(b); err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Int("callbacks", len(cbs)).Msg("xxl-job callback spool write failed; held in memory only")
	} else {
		s.settle(ctx, &b)
	}
	return append(pending, b)
}

// newBatch names a new spool file for cbs.
func (s *sender) newBatch(cbs []Callback) batch {
	name := fmt.Sprintf("%d-%d-%d.json", time.Now().UnixNano(), s.seq.Add(1), cbs[0].LogID)
	return batch{file: filepath.Join(s.dir, name), cbs: cbs}
}

// drop logs callbacks nobody can take: no admin is configured.
func (s *sender) drop(ctx context.Context, cbs []Callback) {
	for _, cb := range cbs {
		zerolog.Ctx(ctx).Info().Int64("log_id", cb.LogID).Int("handle_code", cb.HandleCode).
			Msg("xxl-job callback dropped: no admin configured (xxl-job.url)")
	}
	s.settle(ctx, &batch{cbs: cbs})
}

// send posts pending batches in order until an admin refuses; it returns
// what is left.
func (s *sender) send(ctx context.Context, pending []batch) ([]batch, error) {
	for len(pending) > 0 {
		b := pending[0]
		if err := s.admin.post(ctx, "api/callback", b.cbs); err != nil {
			return pending, err
		}
		s.settle(ctx, &pending[0])
		if err := os.Remove(b.file); err != nil && !errors.Is(err, os.ErrNotExist) {
			zerolog.Ctx(ctx).Error().Err(err).Str("file", b.file).Msg("xxl-job callbacks delivered but their spool file stays")
		}
		s.pending.Sub(float64(len(b.cbs)))
		pending = pending[1:]
	}
	return pending, nil
}

// persist writes b atomically: a crash leaves no file or the whole batch.
func persist(b batch) error {
	raw, err := json.Marshal(b.cbs)
	if err != nil {
		return fmt.Errorf("encode callbacks: %w", err)
	}
	tmp := b.file + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o644); err != nil {
		return fmt.Errorf("write callbacks: %w", err)
	}
	if err := os.Rename(tmp, b.file); err != nil {
		return fmt.Errorf("write callbacks: %w", err)
	}
	return nil
}

// load reads the spool, oldest batch first (names start with the time they
// were written). A file that does not decode is renamed to .bad and logged,
// never silently dropped.
func (s *sender) load(ctx context.Context) ([]batch, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("read callback spool: %w", err)
	}
	var out []batch
	n := 0
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		p := filepath.Join(s.dir, e.Name())
		var cbs []Callback
		raw, err := os.ReadFile(p)
		if err == nil {
			err = json.Unmarshal(raw, &cbs)
		}
		if err != nil || len(cbs) == 0 {
			zerolog.Ctx(ctx).Error().Err(err).Str("file", p).Msg("xxl-job callback spool file unreadable, moved aside")
			_ = os.Rename(p, p+".bad")
			continue
		}
		out = append(out, batch{file: p, cbs: cbs, settled: true})
		n += len(cbs)
	}
	slices.SortFunc(out, func(a, b batch) int { return cmp.Compare(spoolTime(a.file), spoolTime(b.file)) })
	if n > 0 {
		zerolog.Ctx(ctx).Info().Int("callbacks", n).Msg("xxl-job callbacks left by the last run will be delivered")
	}
	s.pending.Add(float64(n))
	return out, nil
}

// spoolTime is the write time a spool file name starts with.
func spoolTime(file string) int64 {
	head, _, _ := strings.Cut(filepath.Base(file), "-")
	n, _ := strconv.ParseInt(head, 10, 64)
	return n
}
