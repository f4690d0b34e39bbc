package logging

import (
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// flushEvery bounds how long a line waits in memory before it is written.
const flushEvery = 50 * time.Millisecond

// asyncWriter collects lines in memory and writes them from one goroutine,
// in batches: every flushEvery, or sooner when half the buffer is used. A
// caller only copies its line under a mutex: it never waits on disk or on
// console formatting, and no goroutine is woken per line (waking the writer
// for each line cost more than formatting it under load). When the buffer
// is full the line is dropped and counted rather than waited on.
type asyncWriter struct {
	next  io.Writer
	max   int
	drops *atomic.Int64

	mu   sync.Mutex
	buf  []byte
	shut bool

	kick chan struct{}
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func newAsyncWriter(next io.Writer, maxBytes int, drops *atomic.Int64) *asyncWriter {
	w := &asyncWriter{
		next:  next,
		max:   maxBytes,
		drops: drops,
		buf:   make([]byte, 0, min(maxBytes, 256<<10)),
		kick:  make(chan struct{}, 1),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
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
	half := len(w.buf) > w.max/2
	w.mu.Unlock()
	if half {
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
		_, _ = w.next.Write(batch)
	}
	*spare = batch
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
