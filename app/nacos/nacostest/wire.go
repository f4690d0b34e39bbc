package nacostest

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net"
	"strconv"
	"time"

	pb "github.com/nacos-group/nacos-sdk-go/v2/api/grpc"
	"google.golang.org/protobuf/types/known/anypb"
)

// Result codes of the Nacos 2.x protocol the SDK looks at.
const (
	codeOK       = 200
	codeFail     = 500
	codeNotFound = 300 // config not found: the SDK treats it as empty content
)

// response is the common part of every reply body.
type response struct {
	ResultCode int    `json:"resultCode"`
	ErrorCode  int    `json:"errorCode"`
	Success    bool   `json:"success"`
	Message    string `json:"message,omitempty"`
	RequestID  string `json:"requestId"`
}

func ok(reqID string) response { return response{ResultCode: codeOK, Success: true, RequestID: reqID} }

// configContext is the body shared by config requests and the change push.
type configContext struct {
	RequestID string `json:"requestId,omitempty"`
	Group     string `json:"group"`
	DataID    string `json:"dataId"`
	Tenant    string `json:"tenant"`
	Module    string `json:"module,omitempty"`
}

func (c configContext) key() Key { return Key{Tenant: c.Tenant, Group: c.Group, DataID: c.DataID} }

type publishRequest struct {
	configContext
	Content string `json:"content"`
}

type listenRequest struct {
	RequestID string `json:"requestId"`
	Listen    bool   `json:"listen"`
	Contexts  []struct {
		configContext
		MD5 string `json:"md5"`
	} `json:"configListenContexts"`
}

type instanceRequest struct {
	RequestID   string `json:"requestId"`
	Namespace   string `json:"namespace"`
	ServiceName string `json:"serviceName"`
	GroupName   string `json:"groupName"`
	Type        string `json:"type"`
	Instance    struct {
		IP        string            `json:"ip"`
		Port      int               `json:"port"`
		Ephemeral bool              `json:"ephemeral"`
		Metadata  map[string]string `json:"metadata"`
	} `json:"instance"`
}

// MD5 returns the hex md5 Nacos uses to compare config versions; like the
// SDK it is empty for empty content.
func MD5(content string) string {
	if content == "" {
		return ""
	}
	sum := md5.Sum([]byte(content))
	return hex.EncodeToString(sum[:])
}

func encode(typ string, body any) *pb.Payload {
	raw, _ := json.Marshal(body)
	return &pb.Payload{Metadata: &pb.Metadata{Type: typ}, Body: &anypb.Any{Value: raw}}
}

type requestService struct {
	pb.UnimplementedRequestServer
	s *Server
}

// Request answers one unary request of the SDK.
func (rs requestService) Request(ctx context.Context, p *pb.Payload) (*pb.Payload, error) {
	c := rs.s.connFor(ctx)
	return rs.s.Handle(c.id, p.GetMetadata().GetType(), p.GetBody().GetValue()), nil
}

// Handle answers one request of type typ with JSON body raw, coming from the
// connection connID, and returns the reply payload. The gRPC service calls
// it; tests of the protocol call it directly.
func (s *Server) Handle(connID, typ string, raw []byte) *pb.Payload {
	s.mu.Lock()
	s.counts[typ]++
	s.lastReq = time.Now()
	s.mu.Unlock()
	var head struct {
		RequestID string `json:"requestId"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return encode("ErrorResponse", response{ResultCode: codeFail, ErrorCode: 400, Message: "bad body: " + err.Error()})
	}
	switch typ {
	case "ServerCheckRequest":
		return encode("ServerCheckResponse", struct {
			response
			ConnectionID string `json:"connectionId"`
		}{ok(head.RequestID), connID})
	case "HealthCheckRequest":
		return encode("HealthCheckResponse", ok(head.RequestID))
	case "ConfigQueryRequest":
		return s.query(raw)
	case "ConfigPublishRequest":
		return s.publish(raw)
	case "ConfigRemoveRequest":
		return s.remove(raw)
	case "ConfigBatchListenRequest":
		return s.listen(connID, raw)
	case "InstanceRequest":
		return s.instance(connID, raw)
	}
	return encode("ErrorResponse", response{
		ResultCode: codeFail, ErrorCode: 501, Message: "nacostest: unsupported request " + typ, RequestID: head.RequestID,
	})
}

func (s *Server) query(raw []byte) *pb.Payload {
	var req configContext
	if err := json.Unmarshal(raw, &req); err != nil {
		return encode("ErrorResponse", response{ResultCode: codeFail, ErrorCode: 400, Message: err.Error()})
	}
	content, found := s.Config(req.key())
	s.wait(req.key())
	if !found {
		return encode("ConfigQueryResponse", response{
			ResultCode: codeFail, ErrorCode: codeNotFound, Message: "config data not exist", RequestID: req.RequestID,
		})
	}
	return encode("ConfigQueryResponse", struct {
		response
		Content      string `json:"content"`
		MD5          string `json:"md5"`
		ContentType  string `json:"contentType"`
		LastModified int64  `json:"lastModified"`
	}{ok(req.RequestID), content, MD5(content), "yaml", time.Now().UnixMilli()})
}

func (s *Server) publish(raw []byte) *pb.Payload {
	var req publishRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return encode("ErrorResponse", response{ResultCode: codeFail, ErrorCode: 400, Message: err.Error()})
	}
	s.SetConfig(req.key(), req.Content)
	return encode("ConfigPublishResponse", ok(req.RequestID))
}

func (s *Server) remove(raw []byte) *pb.Payload {
	var req configContext
	if err := json.Unmarshal(raw, &req); err != nil {
		return encode("ErrorResponse", response{ResultCode: codeFail, ErrorCode: 400, Message: err.Error()})
	}
	s.RemoveConfig(req.key())
	return encode("ConfigRemoveResponse", ok(req.RequestID))
}

// listen registers (or cancels) the caller's interest in each config and
// answers which of them differ from the md5 the client holds.
func (s *Server) listen(connID string, raw []byte) *pb.Payload {
	var req listenRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return encode("ErrorResponse", response{ResultCode: codeFail, ErrorCode: 400, Message: err.Error()})
	}
	changed := []configContext{}
	s.mu.Lock()
	c, known := s.conns[connID]
	if !known {
		c = &conn{id: connID, listens: map[Key]bool{}, md5s: map[Key]string{}}
		s.conns[connID] = c
	}
	for _, lc := range req.Contexts {
		k := lc.key()
		if req.Listen {
			c.listens[k] = true
			c.md5s[k] = lc.MD5
		} else {
			delete(c.listens, k)
			delete(c.md5s, k)
		}
		if MD5(s.configs[k]) != lc.MD5 {
			changed = append(changed, configContext{Group: lc.Group, DataID: lc.DataID, Tenant: lc.Tenant})
		}
	}
	s.mu.Unlock()
	return encode("ConfigChangeBatchListenResponse", struct {
		response
		ChangedConfigs []configContext `json:"changedConfigs"`
	}{ok(req.RequestID), changed})
}

func (s *Server) instance(connID string, raw []byte) *pb.Payload {
	var req instanceRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return encode("ErrorResponse", response{ResultCode: codeFail, ErrorCode: 400, Message: err.Error()})
	}
	s.waitInstance()
	id := req.Namespace + "@@" + req.GroupName + "@@" + req.ServiceName + "@@" + net.JoinHostPort(req.Instance.IP, strconv.Itoa(req.Instance.Port))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts["InstanceRequest/"+req.Type]++
	switch req.Type {
	case "registerInstance":
		s.instances[id] = Instance{
			Namespace: req.Namespace, Service: req.ServiceName, Group: req.GroupName,
			IP: req.Instance.IP, Port: req.Instance.Port, Ephemeral: req.Instance.Ephemeral,
			Metadata: req.Instance.Metadata, conn: connID,
		}
	case "deregisterInstance":
		delete(s.instances, id)
	default:
		return encode("ErrorResponse", response{ResultCode: codeFail, ErrorCode: 400, Message: "unknown instance request type " + req.Type, RequestID: req.RequestID})
	}
	return encode("InstanceResponse", ok(req.RequestID))
}
