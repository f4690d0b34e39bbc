package wecom

import "time"

// window allows at most len(sent) events in any span of per: an event may
// happen once the one len(sent) events before it is more than per old.
// WeCom's rule is exactly that (20 messages per minute per robot), and a
// sliding log models it without letting bursts through the way a token
// bucket would (a bucket of 20 refilling 20 a minute allows 39 in a minute).
// It is not safe for concurrent use; each owner serialises its calls.
type window struct {
	per  time.Duration
	sent []time.Time // ring of the last len(sent) event times
	next int         // index of the oldest entry
	n    int         // entries filled so far
}

func newWindow(limit int, per time.Duration) *window {
	return &window{per: per, sent: make([]time.Time, max(limit, 1))}
}

// wait returns how long to wait from now before the next event is allowed.
func (w *window) wait(now time.Time) time.Duration {
	if w.n < len(w.sent) {
		return 0
	}
	return max(w.sent[w.next].Add(w.per).Sub(now), 0)
}

// record notes an event at now.
func (w *window) record(now time.Time) {
	w.sent[w.next] = now
	w.next = (w.next + 1) % len(w.sent)
	w.n = min(w.n+1, len(w.sent))
}
