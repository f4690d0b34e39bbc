package nacostest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	pb "github.com/nacos-group/nacos-sdk-go/v2/api/grpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// wireClient talks to the fake with plain gRPC, the way the SDK does, so
// the fake's protocol is checked without the SDK (and under -race).
type wireClient struct {
	t      *testing.T
	conn   *grpc.ClientConn
	req    pb.RequestClient
	stream pb.BiRequestStream_RequestBiStreamClient
}

func dial(t *testing.T, s *Server) *wireClient {
	t.Helper()
	conn, err := grpc.NewClient(s.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	w := &wireClient{t: t, conn: conn, req: pb.NewRequestClient(conn)}
	var check struct {
		ResultCode   int    `json:"resultCode"`
		ConnectionID string `json:"connectionId"`
	}
	if typ := w.call("ServerCheckRequest", map[string]any{}, &check); typ != "ServerCheckResponse" || check.ResultCode != 200 || check.ConnectionID == "" {
		t.Fatalf("server check = %s %+v", typ, check)
	}
	w.stream, err = pb.NewBiRequestStreamClient(conn).RequestBiStream(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.stream.Send(encode("ConnectionSetupRequest", map[string]any{"clientVersion": "test"})); err != nil {
		t.Fatal(err)
	}
	return w
}

// call sends one unary request and decodes the reply into out.
func (w *wireClient) call(typ string, body, out any) string {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := w.req.Request(ctx, encode(typ, body))
	if err != nil {
		w.t.Fatalf("%s: %v", typ, err)
	}
	if err := json.Unmarshal(p.GetBody().GetValue(), out); err != nil {
		w.t.Fatalf("%s reply: %v", typ, err)
	}
	return p.GetMetadata().GetType()
}

func start(t *testing.T) *Server {
	t.Helper()
	s, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 5s: %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not synchronisation
	}
}

func TestConfigQueryListenAndPush(t *testing.T) {
	s := start(t)
	k := Key{Tenant: "ns-x", Group: "G", DataID: "app.yaml"}
	s.SetConfig(k, "a: 1")
	w := dial(t, s)

	var q struct {
		ResultCode int    `json:"resultCode"`
		ErrorCode  int    `json:"errorCode"`
		Success    bool   `json:"success"`
		Content    string `json:"content"`
		MD5        string `json:"md5"`
	}
	query := map[string]any{"dataId": k.DataID, "group": k.Group, "tenant": k.Tenant}
	if typ := w.call("ConfigQueryRequest", query, &q); typ != "ConfigQueryResponse" || !q.Success || q.Content != "a: 1" || q.MD5 != MD5("a: 1") {
		t.Fatalf("query = %s %+v", typ, q)
	}
	q.Success = true
	missing := map[string]any{"dataId": "none", "group": k.Group, "tenant": k.Tenant}
	if w.call("ConfigQueryRequest", missing, &q); q.Success || q.ErrorCode != 300 {
		t.Errorf("missing config = %+v, want errorCode 300", q)
	}

	var l struct {
		ChangedConfigs []struct{ Group, DataID, Tenant string } `json:"changedConfigs"`
	}
	listen := map[string]any{"listen": true, "configListenContexts": []map[string]any{
		{"dataId": k.DataID, "group": k.Group, "tenant": k.Tenant, "md5": ""},
	}}
	if typ := w.call("ConfigBatchListenRequest", listen, &l); typ != "ConfigChangeBatchListenResponse" || len(l.ChangedConfigs) != 1 || l.ChangedConfigs[0].Tenant != "ns-x" {
		t.Fatalf("listen with stale md5 = %s %+v, want the key back with its tenant", typ, l)
	}
	waitFor(t, "listening", func() bool { return s.Listening(k) == 1 })
	if s.InSync(k) {
		t.Error("InSync after a listen with a stale md5")
	}

	s.SetConfig(k, "a: 2")
	p, err := w.stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var push configContext
	_ = json.Unmarshal(p.GetBody().GetValue(), &push)
	if p.GetMetadata().GetType() != "ConfigChangeNotifyRequest" || push.key() != k {
		t.Errorf("push = %s %+v, want ConfigChangeNotifyRequest for %+v", p.GetMetadata().GetType(), push, k)
	}

	listen["configListenContexts"] = []map[string]any{{"dataId": k.DataID, "group": k.Group, "tenant": k.Tenant, "md5": MD5("a: 2")}}
	if w.call("ConfigBatchListenRequest", listen, &l); len(l.ChangedConfigs) != 0 {
		t.Errorf("listen with current md5 reported %+v", l.ChangedConfigs)
	}
	if !s.InSync(k) {
		t.Error("not InSync after a listen with the current md5")
	}
	s.SetConfigSilently(k, "a: 3")
	if s.InSync(k) {
		t.Error("InSync after the content changed")
	}
}

func TestInstancesAreEphemeral(t *testing.T) {
	s := start(t)
	w := dial(t, s)
	var r struct {
		Success bool `json:"success"`
	}
	reg := map[string]any{"namespace": "public", "serviceName": "svc", "groupName": "G", "type": "registerInstance",
		"instance": map[string]any{"ip": "10.0.0.1", "port": 8000, "ephemeral": true}}
	if typ := w.call("InstanceRequest", reg, &r); typ != "InstanceResponse" || !r.Success {
		t.Fatalf("register = %s %+v", typ, r)
	}
	if in := s.Instances("svc", "G"); len(in) != 1 || in[0].IP != "10.0.0.1" || in[0].Port != 8000 {
		t.Fatalf("instances = %+v", in)
	}
	s.HoldInstanceRequests()
	done := make(chan error, 1)
	go func() {
		dereg := map[string]any{"namespace": "public", "serviceName": "svc", "groupName": "G", "type": "deregisterInstance",
			"instance": map[string]any{"ip": "10.0.0.2", "port": 8000, "ephemeral": true}}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := w.req.Request(ctx, encode("InstanceRequest", dereg))
		done <- err
	}()
	waitFor(t, "deregister held", func() bool { return s.HeldInstanceRequests() == 1 })
	if n := s.Requests("InstanceRequest/deregisterInstance"); n != 0 {
		t.Errorf("held deregister applied already (%d)", n)
	}
	s.ReleaseInstanceRequests()
	if err := <-done; err != nil {
		t.Fatalf("held deregister: %v", err)
	}
	if n := s.Requests("InstanceRequest/deregisterInstance"); n != 1 {
		t.Errorf("released deregister applied %d times, want 1", n)
	}
	waitFor(t, "stream open", func() bool { return s.Requests("ConnectionSetupRequest") == 1 })
	_ = w.conn.Close()
	waitFor(t, "instance dropped with its connection", func() bool { return len(s.Instances("svc", "G")) == 0 })
}

func TestHandleRejectsWhatItDoesNotKnow(t *testing.T) {
	s := start(t)
	cases := []struct{ typ, body string }{
		{"NoSuchRequest", `{}`},
		{"ConfigQueryRequest", `not json`},
		{"InstanceRequest", `{"type":"upgradeInstance"}`},
	}
	for _, tc := range cases {
		t.Run(tc.typ, func(t *testing.T) {
			p := s.Handle("c1", tc.typ, []byte(tc.body))
			var r response
			_ = json.Unmarshal(p.GetBody().GetValue(), &r)
			if p.GetMetadata().GetType() != "ErrorResponse" || r.Success || r.ResultCode != codeFail {
				t.Errorf("reply = %s %+v, want a failed ErrorResponse", p.GetMetadata().GetType(), r)
			}
		})
	}
}

func TestHeldQueriesAnswerWithContentReadOnArrival(t *testing.T) {
	s := start(t)
	k := Key{Group: "G", DataID: "held.yaml"}
	s.SetConfig(k, "v: old")
	s.HoldQueries(k)
	w := dial(t, s)

	type answer struct{ Content string }
	answers := make(chan string, 2)
	ask := func() {
		var q answer
		w.call("ConfigQueryRequest", map[string]any{"dataId": k.DataID, "group": k.Group}, &q)
		answers <- q.Content
	}
	go ask()
	waitFor(t, "first query held", func() bool { return s.HeldQueries(k) == 1 })
	s.SetConfig(k, "v: new")
	go ask()
	waitFor(t, "second query held", func() bool { return s.HeldQueries(k) == 2 })

	if !s.ReleaseNewest(k) {
		t.Fatal("ReleaseNewest found nothing held")
	}
	if got := <-answers; got != "v: new" {
		t.Errorf("newest query answered %q, want the content when it arrived", got)
	}
	s.ReleaseQueries(k)
	if got := <-answers; got != "v: old" {
		t.Errorf("oldest query answered %q, want the content when it arrived", got)
	}
	var q answer
	if w.call("ConfigQueryRequest", map[string]any{"dataId": k.DataID, "group": k.Group}, &q); q.Content != "v: new" {
		t.Errorf("after ReleaseQueries got %q, want an immediate answer with the current content", q.Content)
	}
	if s.ReleaseNewest(k) {
		t.Error("ReleaseNewest released something after ReleaseQueries")
	}
}
