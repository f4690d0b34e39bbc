package logging

import (
	"bufio"
	"io"
	"sync"
	"sync/atomic"
)

// asyncWriter hands each line to one writer goroutine through a bounded
// channel, so a caller never waits on disk or on console formatting. When
// the channel is full the line is dropped and counted rather than waited
// on. Buffers are pooled: zerolog's own diode allocates twice per line,
// which showed up in the per-request benchmark.
type asyncWriter struct {
	next  io.Writer
	lines chan *[]byte
	pool  sync.Pool
	drops *atomic.Int64
	done  chan struct{}
	once  sync.Once
	mu    sync.RWMutex // held for reading by writers, for writing by Close
	shut  bool
}

func newAsyncWriter(next io.Writer, size int, drops *atomic.Int64) *asyncWriter {
	w := &asyncWriter{
		next:  next,
		lines: make(chan *[]byte, size),
		drops: drops,
		done:  make(chan struct{}),
	}
	w.pool.New = func() any { b := make([]byte, 0, 512); return &b }
	go w.drain()
	return w
}

// Write copies p and queues it. It never blocks on I/O.
func (w *asyncWriter) Write(p []byte) (int, error) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.shut {
		w.drops.Add(1)
		return len(p), nil
	}
	buf := w.pool.Get().(*[]byte)
	*buf = append((*buf)[:0], p...)
	select {
	case w.lines <- buf:
	default:
		w.pool.Put(buf)
		w.drops.Add(1)
	}
	return len(p), nil
}

// drain writes lines in order. Lines that queued up meanwhile are written
// with one syscall: under load that is most of them.
func (w *asyncWriter) drain() {
	defer close(w.done)
	out := bufio.NewWriterSize(w.next, 64<<10)
	for buf := range w.lines {
		_, _ = out.Write(*buf)
		if cap(*buf) <= 64<<10 { // don't keep the odd huge line alive
			w.pool.Put(buf)
		}
		if len(w.lines) == 0 {
			_ = out.Flush()
		}
	}
	_ = out.Flush()
}

// Close writes out every queued line and stops the goroutine.
func (w *asyncWriter) Close() error {
	w.once.Do(func() {
		w.mu.Lock()
		w.shut = true
		close(w.lines)
		w.mu.Unlock()
	})
	<-w.done
	return nil
}
