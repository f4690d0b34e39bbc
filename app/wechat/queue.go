package wechat

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"gomicro/app/config"
)

// taskVersion is the version of the task format; a worker refuses others
// (dead-lettered), so agents and workers of different releases never
// misread each other.
const taskVersion = 1

// Reply modes of a task: how the callback came, and so how the agent
// answers the worker's plaintext reply (sealed again in safe mode).
const (
	modePlain      = "plain"
	modeCompatible = "compatible"
	modeSafe       = "safe"
)

// task is one message as published to the workers.
type task struct {
	V       int    `json:"v"`
	ID      string `json:"id"`
	Account string `json:"account"`
	TraceID string `json:"trace_id"`
	// Deadline is when the agent stops waiting (unix milliseconds); a
	// reply after it goes through the customer-service API.
	Deadline int64  `json:"deadline"`
	Mode     string `json:"reply_mode"`
	// ReplyTo is the Redis channel the agent hears results on.
	ReplyTo string   `json:"reply_to"`
	Message *Message `json:"message"`
}

// errTask marks a message on the queue that is no task of ours; it is
// dead-lettered at once.
var errTask = errors.New("not a wechat task")

func decodeTask(body []byte) (*task, error) {
	var t task
	if err := json.Unmarshal(body, &t); err != nil {
		return nil, fmt.Errorf("%w: %w", errTask, err)
	}
	switch {
	case t.V != taskVersion:
		return nil, fmt.Errorf("%w: version %d", errTask, t.V)
	case t.ID == "" || t.Account == "" || t.Message == nil:
		return nil, fmt.Errorf("%w: id, account and message are required", errTask)
	}
	return &t, nil
}

func (t *task) deadline() time.Time { return time.UnixMilli(t.Deadline) }

func newTaskID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// topology names the queues of a config: where tasks go and where the
// ones that keep failing end.
type topology struct {
	exchange string
	queue    string
}

func topologyOf(cfg *config.Config) topology {
	q := cfg.AMQP.Queue
	if q == "" {
		q = cfg.Redis.KeyPrefix + "wechat.messages"
	}
	return topology{exchange: cfg.AMQP.Exchange, queue: q}
}

func (tp topology) dead() string { return tp.queue + ".dead" }

// declare makes the queues (durable: tasks survive a broker restart) and,
// with a named exchange, the exchange and the binding by queue name. Both
// agent and worker declare, whichever starts first.
func (tp topology) declare(ch *amqp.Channel) error {
	for _, q := range []string{tp.queue, tp.dead()} {
		if _, err := ch.QueueDeclare(q, true, false, false, false, nil); err != nil {
			return fmt.Errorf("declare queue %s: %w", q, err)
		}
	}
	if tp.exchange == "" {
		return nil
	}
	if err := ch.ExchangeDeclare(tp.exchange, amqp.ExchangeDirect, true, false, false, false, nil); err != nil {
		return fmt.Errorf("declare exchange %s: %w", tp.exchange, err)
	}
	if err := ch.QueueBind(tp.queue, tp.queue, tp.exchange, false, nil); err != nil {
		return fmt.Errorf("bind queue %s: %w", tp.queue, err)
	}
	return nil
}
