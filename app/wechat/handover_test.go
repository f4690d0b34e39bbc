package wechat

import (
	"context"
	"testing"

	"gomicro/app/redisclient/redistest"
)

func testHandover(t *testing.T) handover {
	cfg := redistest.Config(t)
	return handover{rc: redistest.Client(t, cfg), prefix: func() string { return cfg.KeyPrefix }}
}

// The agent falls back to running the chain itself when the broker's
// confirm is late; whichever of it and a worker starts first runs the
// chain, the other leaves it, and the reply is delivered once.
func TestHandoverFallbackRunsTheChainOnce(t *testing.T) {
	ctx := context.Background()
	h := testHandover(t)

	t.Run("worker first", func(t *testing.T) {
		kind, attempt, _, err := h.begin(ctx, "m1")
		if err != nil || kind != "run" || attempt != 1 {
			t.Fatalf("begin = %q %d %v, want run 1", kind, attempt, err)
		}
		// The agent must not run a chain a worker is running.
		if kind, _, err := h.take(ctx, "m1", "own"); err != nil || kind != "taken" {
			t.Fatalf("agent own = %q %v, want taken", kind, err)
		}
		// The agent answered success: the worker's reply goes out through
		// the customer-service API, claimed by it.
		kind, claimed, err := h.complete(ctx, "m1", "ch", `{"type":"text"}`, false)
		if err != nil || kind != "send" || claimed != `{"type":"text"}` {
			t.Fatalf("complete = %q %q %v, want send with the reply", kind, claimed, err)
		}
	})

	t.Run("agent first", func(t *testing.T) {
		if kind, _, err := h.take(ctx, "m2", "own"); err != nil || kind != "own" {
			t.Fatalf("agent own = %q %v, want own", kind, err)
		}
		if kind, _, _, err := h.begin(ctx, "m2"); err != nil || kind != "done" {
			t.Fatalf("begin after the agent owned it = %q %v, want done", kind, err)
		}
	})

	t.Run("worker running, agent waits", func(t *testing.T) {
		if kind, _, _, err := h.begin(ctx, "m3"); err != nil || kind != "run" {
			t.Fatalf("begin = %q %v", kind, err)
		}
		if kind, _, err := h.take(ctx, "m3", "wait"); err != nil || kind != "pending" {
			t.Fatalf("wait while running = %q %v, want pending", kind, err)
		}
		if kind, _, err := h.complete(ctx, "m3", "ch", `{"type":"text"}`, false); err != nil || kind != "stored" {
			t.Fatalf("complete = %q %v, want stored", kind, err)
		}
		if kind, reply, err := h.take(ctx, "m3", "wait"); err != nil || kind != "reply" || reply != `{"type":"text"}` {
			t.Fatalf("wait = %q %q %v, want the reply", kind, reply, err)
		}
	})

	t.Run("worker dies running, redelivery runs it", func(t *testing.T) {
		if kind, _, _, err := h.begin(ctx, "m4"); err != nil || kind != "run" {
			t.Fatalf("begin = %q %v", kind, err)
		}
		if kind, attempt, _, err := h.begin(ctx, "m4"); err != nil || kind != "run" || attempt != 2 {
			t.Fatalf("second begin = %q %d %v, want run 2", kind, attempt, err)
		}
		if kind, _, err := h.take(ctx, "m4", "giveup"); err != nil || kind != "late" {
			t.Fatalf("giveup = %q %v, want late", kind, err)
		}
		if kind, _, err := h.complete(ctx, "m4", "ch", "", false); err != nil || kind != "done" {
			t.Fatalf("complete with nothing to send after giveup = %q %v, want done", kind, err)
		}
	})
}
