package xxljob

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestCallbackHandedOverAfterStopIsSpooled covers a /kill or COVER_EARLY
// trigger racing shutdown: its callbacks reach the sender after its last
// delivery. They must neither vanish into the channel nobody reads nor
// block, but wait on disk for the next start.
func TestCallbackHandedOverAfterStopIsSpooled(t *testing.T) {
	got := make(chan int64, 10)
	admin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var cbs []Callback
		if err := json.NewDecoder(r.Body).Decode(&cbs); err != nil {
			t.Errorf("callback body: %v", err)
		}
		for _, cb := range cbs {
			got <- cb.LogID
		}
		_, _ = w.Write([]byte(`{"code":200}`))
	}))
	t.Cleanup(admin.Close)
	dir := t.TempDir()
	newTestSender := func() *sender {
		ac := &adminClient{urls: []string{admin.URL + "/"}, http: admin.Client()}
		return newSender(ac, dir, time.Hour, prometheus.NewGauge(prometheus.GaugeOpts{Name: "pending"}),
			func([]Callback) error { return nil })
	}
	ctx := context.Background()

	first := newTestSender()
	if _, err := first.start(ctx); err != nil {
		t.Fatal(err)
	}
	first.stop(ctx)
	handed := make(chan struct{})
	go func() {
		first.enqueue(ctx, Callback{LogID: 7, HandleCode: 500, HandleMsg: "scheduling center kill job."})
		close(handed)
	}()
	select {
	case <-handed:
	case <-time.After(15 * time.Second):
		t.Fatal("enqueue after stop blocked")
	}

	second := newTestSender()
	if _, err := second.start(ctx); err != nil {
		t.Fatal(err)
	}
	defer second.stop(ctx)
	select {
	case id := <-got:
		if id != 7 {
			t.Errorf("admin got log %d, want 7", id)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("callback handed over after stop never reached the admin")
	}
}
