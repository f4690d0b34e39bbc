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

// registration owns the naming client of one registered instance.
type registration struct {
	inst Instance
	done chan struct{} // closed once the naming client exists or failed
	mu   sync.Mutex
	cl   naming_client.INamingClient
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
	cl, err := clients.NewNamingClient(c.sdkParam())
	if err != nil {
		log.Error().Err(err).Msg("nacos naming client cannot be created; instance not registered")
		return
	}
	if c.ctx.Err() != nil {
		// Close gave up waiting for us; registering now would leave an
		// instance behind that nobody deregisters.
		cl.CloseClient()
		return
	}
	r.mu.Lock()
	r.cl = cl
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

// deregister removes the instance, bounded by ctx, and closes the naming
// client.
func (r *registration) deregister(ctx context.Context) error {
	select {
	case <-r.done:
	case <-ctx.Done():
		return fmt.Errorf("deregister from nacos: naming client still connecting: %w", ctx.Err())
	}
	r.mu.Lock()
	cl := r.cl
	r.mu.Unlock()
	if cl == nil {
		return nil
	}
	defer cl.CloseClient()
	errc := make(chan error, 1)
	go func() {
		_, err := cl.DeregisterInstance(vo.DeregisterInstanceParam{
			Ip: r.inst.IP, Port: uint64(r.inst.Port), ServiceName: r.inst.Service, GroupName: r.inst.Group, Ephemeral: true,
		})
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
