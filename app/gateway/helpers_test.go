package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"gomicro/app/config"
	"gomicro/app/config/configtest"
	"gomicro/app/errs"
	"gomicro/app/gateway"
	"gomicro/app/module"
)

// env is a started gateway with test handlers, on free ports.
type env struct {
	g       *gateway.Gateway
	reg     *prometheus.Registry
	slow    chan struct{} // closed to release HD_Slow calls
	entered chan struct{} // one value per HD_Slow call that started
	ended   chan module.Session
}

var errNoRoom = errs.E(errs.Invalid, "No room")

// start runs a gateway; mqttKeys are extra keys of the mqtt section
// ("max_inflight: 2").
func start(t *testing.T, mqttKeys string) *env {
	t.Helper()
	if mqttKeys != "" {
		mqttKeys = ", " + mqttKeys
	}
	_, cfg := configtest.Load(t, "mqtt: {enabled: true, host: 127.0.0.1, port: 0, ws_port: 0"+mqttKeys+"}\n")
	e := &env{reg: prometheus.NewRegistry(), slow: make(chan struct{}), entered: make(chan struct{}, 100), ended: make(chan module.Session, 10)}
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(e.slow) }) })
	handlers := []module.Handler{
		{Module: "Login", Name: "HD_Login", Public: true, Serve: func(ctx context.Context, s module.Session, body []byte) (any, error) {
			var in struct{ UserName string }
			if err := json.Unmarshal(body, &in); err != nil || in.UserName == "" {
				return nil, errs.E(errs.Unauthorized, "userName required")
			}
			if !s.Login(in.UserName) {
				return nil, errs.E(errs.Conflict, "logged in as "+s.User())
			}
			go func() { <-s.Done(); e.ended <- s }()
			return "login success " + in.UserName, nil
		}},
		{Module: "Echo", Name: "HD_Echo", Serve: func(ctx context.Context, s module.Session, body []byte) (any, error) {
			return json.RawMessage(body), nil
		}},
		{Module: "Echo", Name: "HD_Fail", Serve: func(context.Context, module.Session, []byte) (any, error) {
			return nil, fmt.Errorf("look up room: %w", errNoRoom)
		}},
		{Module: "Echo", Name: "HD_Internal", Serve: func(context.Context, module.Session, []byte) (any, error) {
			return nil, fmt.Errorf("dial tcp 10.0.0.1:3306: secret detail")
		}},
		{Module: "Echo", Name: "HD_Push", Serve: func(ctx context.Context, s module.Session, body []byte) (any, error) {
			return "pushed", s.Push("Echo/OnPush", map[string]string{"user": s.User()})
		}},
		{Module: "Echo", Name: "HD_Slow", Serve: func(ctx context.Context, s module.Session, body []byte) (any, error) {
			e.entered <- struct{}{}
			select {
			case <-e.slow:
				return "done", nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}},
	}
	store := config.NewStore(cfg, config.Meta{Source: config.SourceLocal})
	e.g = gateway.New(gateway.Deps{Store: store, Metrics: e.reg, Handlers: handlers})
	ctx := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel).WithContext(context.Background())
	if err := e.g.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		once.Do(func() { close(e.slow) })
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := e.g.Stop(sctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return e
}

// client is a paho MQTT client whose every received publish, subscribed to
// or not, lands in got.
type client struct {
	c   paho.Client
	got chan paho.Message
}

func (e *env) connect(t *testing.T, id string, version uint) *client {
	t.Helper()
	return connectWith(t, paho.NewClientOptions().AddBroker("tcp://"+e.g.Addr().String()), id, version)
}

func connectWith(t *testing.T, opts *paho.ClientOptions, id string, version uint) *client {
	t.Helper()
	cl := &client{got: make(chan paho.Message, 1000)}
	opts.SetClientID(id).SetProtocolVersion(version).SetAutoReconnect(false).SetConnectRetry(false).
		SetKeepAlive(30 * time.Second).SetOrderMatters(true).
		SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) { cl.got <- m })
	cl.c = paho.NewClient(opts)
	if tok := cl.c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s (v%d): %v", id, version, tok.Error())
	}
	t.Cleanup(func() { cl.c.Disconnect(0) })
	return cl
}

func (c *client) publish(t *testing.T, topic string, qos byte, body string) {
	t.Helper()
	if tok := c.c.Publish(topic, qos, false, body); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

type reply struct {
	Trace  string
	Error  string
	Result json.RawMessage
}

// next returns the next publish the client receives.
func (c *client) next(t *testing.T) paho.Message {
	t.Helper()
	select {
	case m := <-c.got:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no publish received within 5s")
		return nil
	}
}

// call publishes body to topic and returns the reply on that topic.
func (c *client) call(t *testing.T, topic, body string) reply {
	t.Helper()
	c.publish(t, topic, 0, body)
	m := c.next(t)
	if m.Topic() != topic {
		t.Fatalf("got a publish on %q, want the reply on %q", m.Topic(), topic)
	}
	if m.Qos() != 0 || m.Retained() {
		t.Errorf("reply qos %d retained %v, want 0 and not retained", m.Qos(), m.Retained())
	}
	var r reply
	if err := json.Unmarshal(m.Payload(), &r); err != nil {
		t.Fatalf("reply %q: %v", m.Payload(), err)
	}
	if len(r.Trace) != 32 {
		t.Errorf("reply trace %q, want a trace id", r.Trace)
	}
	return r
}

func (c *client) login(t *testing.T, user string) {
	t.Helper()
	if r := c.call(t, "Login/HD_Login/login", `{"userName":"`+user+`"}`); r.Error != "" {
		t.Fatalf("login %s: %s", user, r.Error)
	}
}

// waitCount waits until mqtt_calls_total{handler,outcome} reaches n.
func (e *env) waitCount(t *testing.T, handler, outcome string, n float64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if got := gathered(e.reg, handler, outcome); got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("mqtt_calls_total{handler=%q,outcome=%q} did not reach %v", handler, outcome, n)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not synchronisation
	}
}

func gathered(reg *prometheus.Registry, handler, outcome string) float64 {
	mfs, err := reg.Gather()
	if err != nil {
		return 0
	}
	for _, mf := range mfs {
		if mf.GetName() != "mqtt_calls_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["handler"] == handler && labels["outcome"] == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// metricValue is the value of the unlabelled counter or gauge name.
func (e *env) metricValue(name string) float64 {
	mfs, err := e.reg.Gather()
	if err != nil {
		return -1
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			m := mf.GetMetric()[0]
			if m.GetGauge() != nil {
				return m.GetGauge().GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	return -1
}

// waitMetric polls until cond holds for name's value.
func (e *env) waitMetric(t *testing.T, name string, cond func(float64) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond(e.metricValue(name)) {
		if time.Now().After(deadline) {
			t.Fatalf("%s stayed at %v", name, e.metricValue(name))
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not synchronisation
	}
}
