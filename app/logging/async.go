package logging

import (
	"bytes"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// flushEvery bounds how long a line waits in memory before it is written.
const flushEvery = 50 * time.Millisecond

// kickBytes wakes the writer early. Under load 50 ms of lines is most of a
// megabyte; written in pieces of this size the batch stays in the CPU's
// cache between the requests that fill it and the write that drains it.
const kickBytes = 64 << 10

// asyncWriter collects lines in memory and writes them from one goroutine,
// in batches: every flushEvery, or sooner once kickBytes are pending. A
// caller only copies its line under a mutex: it never waits on disk or on
// console formatting, and no goroutine is woken per line (waking the writer
// for each line cost more than formatting it under load). When the buffer
// is full the line is dropped and counted rather than waited on.
type asyncWriter struct {
	sinks     []*sink
	max       int
	kickAt    int
	drops     *atomic.Int64
	errs      *atomic.Int64
	reportErr func(s *sink, err error, lost int64)

	mu   sync.Mutex
	buf  []byte
	shut bool

	kick  chan struct{}
	syncs chan chan struct{}
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

// sink is one output. Its failure state is only touched by the writing
// goroutine.
type sink struct {
	name  string
	w     io.Writer
	where func() string // the file being written, for reports; nil for streams

	failing bool
	lost    int64 // lines lost since failing began
}

// newAsyncWriter starts the writing goroutine. report is called from it
// when a sink starts failing (err set) and when it takes lines again (err
// nil, lost counting what the failure cost).
func newAsyncWriter(sinks []*sink, maxBytes int, drops, errs *atomic.Int64, report func(s *sink, err error, lost int64)) *asyncWriter {
	w := &asyncWriter{
		sinks:     sinks,
		max:       maxBytes,
		kickAt:    min(maxBytes/2, kickBytes),
		drops:     drops,
		errs:      errs,
		reportErr: report,
		buf:       make([]byte, 0, min(maxBytes, 256<<10)),
		kick:      make(chan struct{}, 1),
		syncs:     make(chan chan struct{}),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	go w.loop(cap(w.buf))
	return w
}

// Write copies p into the pending batch. It never blocks on I/O.
func (w *asyncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.shut || len(w.buf)+len(p) > w.max {
		w.mu.Unlock()
		w.drops.Add(1)
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	kick := len(w.buf) >= w.kickAt
	w.mu.Unlock()
	if kick {
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

func (w *asyncWriter) loop(capacity int) {
	defer close(w.done)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	spare := make([]byte, 0, capacity)
	for {
		select {
		case <-t.C:
		case <-w.kick:
		case ack := <-w.syncs:
			w.flush(&spare)
			close(ack)
			continue
		case <-w.stop:
			w.flush(&spare)
			return
		}
		w.flush(&spare)
	}
}

// flush swaps the pending batch with spare and writes it out.
func (w *asyncWriter) flush(spare *[]byte) {
	w.mu.Lock()
	batch := w.buf
	w.buf = (*spare)[:0]
	w.mu.Unlock()
	if len(batch) > 0 {
		for _, s := range w.sinks {
			w.write(s, batch)
		}
	}
	*spare = batch
}

// write hands batch to one sink and keeps its failure state: the first
// failure is reported, later ones only counted until the sink takes lines
// again, which is reported too (with what was lost).
func (w *asyncWriter) write(s *sink, batch []byte) {
	n, err := s.w.Write(batch)
	if err == nil {
		if s.failing {
			s.failing = false
			w.reportErr(s, nil, s.lost)
			s.lost = 0
		}
		return
	}
	lost := int64(bytes.Count(batch[min(max(n, 0), len(batch)):], []byte{'\n'}))
	w.errs.Add(lost)
	s.lost += lost
	if !s.failing {
		s.failing = true
		w.reportErr(s, err, lost)
	}
}

// Sync returns once every line written before it was handed to the sinks.
// After Close it returns at once.
func (w *asyncWriter) Sync() {
	ack := make(chan struct{})
	select {
	case w.syncs <- ack:
		<-ack
	case <-w.done:
	}
}

// Close writes out every pending line and stops the goroutine.
func (w *asyncWriter) Close() error {
	w.once.Do(func() {
		w.mu.Lock()
		w.shut = true
		w.mu.Unlock()
		close(w.stop)
	})
	<-w.done
	return nil
}
