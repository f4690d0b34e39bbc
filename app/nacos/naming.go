package nacos

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/nacos-group/nacos-sdk-go/v2/clients"
	"github.com/nacos-group/nacos-sdk-go/v2/clients/naming_client"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"
	"github.com/rs/zerolog"
)

// Instance is what the server registers in Nacos naming.
type Instance struct {
	Service string
	Group   string
	IP      string
	Port    int
}

// registration owns the naming client of one registered instance. Whoever
// finishes last between register and a deregister that gave up waiting
// cleans up, decided under mu: register marks finished, deregister marks
// abandoned.
type registration struct {
	inst Instance
	done chan struct{} // closed once register is over
	mu   sync.Mutex
	cl   naming_client.INamingClient
	// finished: register is over, deregister owns cl. abandoned: deregister
	// stopped waiting, register must undo its own work.
	// sent: the register request went to the SDK.
	finished, abandoned, sent bool
}

// RegisterInstance registers the server in Nacos naming as an ephemeral
// instance: service nacos.service_name (default app.name) in nacos.group,
// at nacos.advertise_ip (default the local address that routes to Nacos) and
// nacos.advertise_port (default port, the port the server listens on). It
// does nothing when Nacos is off or nacos.register is false. It returns at
// once; connecting and registering go on in the background, and the SDK
// registers again by itself after every reconnect. Close deregisters.
// Errors: a port or IP that cannot be determined, or a second call.
func (c *Client) RegisterInstance(ctx context.Context, port int) (Instance, error) {
	if !c.Enabled() || !c.cfg.Register {
		return Instance{}, nil
	}
	inst := Instance{Service: c.cfg.ServiceName, Group: c.cfg.Group, IP: c.cfg.AdvertiseIP, Port: c.cfg.AdvertisePort}
	if inst.Service == "" {
		inst.Service = c.store.Current().App.Name
	}
	if inst.Port == 0 {
		inst.Port = port
	}
	if inst.Port <= 0 || inst.Port > 65535 {
		return Instance{}, fmt.Errorf("register in nacos: no port to advertise (nacos.advertise_port and the server port are %d)", inst.Port)
	}
	if inst.IP == "" {
		ip, err := outboundIP(c.servers[0])
		if err != nil {
			return Instance{}, fmt.Errorf("register in nacos: detect advertise ip (set nacos.advertise_ip): %w", err)
		}
		inst.IP = ip
	}
	r := &registration{inst: inst, done: make(chan struct{})}
	c.mu.Lock()
	if c.closed || c.reg != nil {
		c.mu.Unlock()
		return Instance{}, errors.New("register in nacos: client closed or instance already registered")
	}
	c.reg = r
	c.mu.Unlock()
	c.wg.Add(1)
	go c.register(ctx, r)
	return inst, nil
}

// register creates the naming client (which can block for several seconds
// while Nacos is unreachable) and registers the instance.
func (c *Client) register(ctx context.Context, r *registration) {
	defer c.wg.Done()
	defer close(r.done)
	log := zerolog.Ctx(ctx).With().Str("service", r.inst.Service).Str("ip", r.inst.IP).Int("port", r.inst.Port).Logger()
	defer r.finish(log)
	cl, err := clients.NewNamingClient(c.sdkParam())
	if err != nil {
		log.Error().Err(err).Msg("nacos naming client cannot be created; instance not registered")
		return
	}
	r.mu.Lock()
	r.cl = cl
	r.mu.Unlock()
	if c.ctx.Err() != nil {
		// Close has begun; registering now would only race with it.
		return
	}
	r.mu.Lock()
	r.sent = true
	r.mu.Unlock()
	// The SDK keeps the instance for redo before it sends the request, so
	// a failure here is repaired on the next (re)connect.
	_, err = cl.RegisterInstance(vo.RegisterInstanceParam{
		Ip: r.inst.IP, Port: uint64(r.inst.Port), ServiceName: r.inst.Service, GroupName: r.inst.Group,
		Weight: 1, Enable: true, Healthy: true, Ephemeral: true,
	})
	if err != nil {
		log.Warn().Err(err).Msg("nacos register failed; the SDK retries on reconnect")
		return
	}
	log.Info().Msg("registered in nacos")
}

// finish ends register: it hands the naming client to deregister, or, when
// deregister already gave up waiting, deregisters and closes it itself so
// no instance outlives Close. Closing the client would drop an ephemeral
// instance too, but only once Nacos notices the connection is gone.
func (r *registration) finish(log zerolog.Logger) {
	r.mu.Lock()
	r.finished = true
	abandoned, sent, cl := r.abandoned, r.sent, r.cl
	r.mu.Unlock()
	if !abandoned || cl == nil {
		return
	}
	defer cl.CloseClient()
	if !sent {
		return
	}
	if _, err := cl.DeregisterInstance(r.deregisterParam()); err != nil {
		log.Warn().Err(err).Msg("nacos deregister after close failed; the instance goes with the connection")
	}
}

func (r *registration) deregisterParam() vo.DeregisterInstanceParam {
	return vo.DeregisterInstanceParam{
		Ip: r.inst.IP, Port: uint64(r.inst.Port), ServiceName: r.inst.Service, GroupName: r.inst.Group, Ephemeral: true,
	}
}

// deregister removes the instance, bounded by ctx, and closes the naming
// client.
func (r *registration) deregister(ctx context.Context) error {
	select {
	case <-r.done:
	case <-ctx.Done():
	}
	r.mu.Lock()
	if !r.finished {
		// register is still connecting or registering; it deregisters
		// and closes its client itself when it is done.
		r.abandoned = true
		r.mu.Unlock()
		return fmt.Errorf("deregister from nacos: naming client still connecting: %w", ctx.Err())
	}
	cl := r.cl
	r.mu.Unlock()
	if cl == nil {
		return nil
	}
	defer cl.CloseClient()
	errc := make(chan error, 1)
	go func() {
		_, err := cl.DeregisterInstance(r.deregisterParam())
		errc <- err
	}()
	select {
	case err := <-errc:
		if err != nil {
			return fmt.Errorf("deregister from nacos: %w", err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("deregister from nacos: %w", ctx.Err())
	}
}

// outboundIP returns the local address the kernel would use to reach s. A
// UDP "connection" sends nothing; it only picks the route.
func outboundIP(s server) (string, error) {
	conn, err := net.Dial("udp", net.JoinHostPort(s.Host, strconv.Itoa(s.Port)))
	if err != nil {
		return "", err
	}
	defer conn.Close()
	addr, ok := conn.LocalAddr().(*net.UDPAddr)
	if !ok || addr.IP.IsUnspecified() {
		return "", fmt.Errorf("no route to %s", s.Host)
	}
	return addr.IP.String(), nil
}
