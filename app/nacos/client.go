package nacos

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/clients"
	"github.com/nacos-group/nacos-sdk-go/v2/clients/config_client"
	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"
	"github.com/nacos-group/nacos-sdk-go/v2/common/logger"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"
	"github.com/rs/zerolog"

	"gomicro/app/config"
)

// Defaults used when the nacos section leaves them out.
const (
	defaultTimeout = 3 * time.Second
	defaultGroup   = "DEFAULT_GROUP"
	// maxRetryDelay bounds the wait between background attempts while the
	// config is not live, so a recovered Nacos is noticed within seconds.
	maxRetryDelay = 10 * time.Second
	// sdkRateLimited is in the error of a query the SDK's own rate limiter
	// refused without asking Nacos; rateLimitWait is one token's refill.
	sdkRateLimited = "ConfigQueryRequest is limited"
	rateLimitWait  = 200 * time.Millisecond
)

// Client keeps the service's config in step with one Nacos dataId. Build it
// with New; it is safe for concurrent use.
type Client struct {
	ctx      context.Context // root ctx: logger, cancelled by Close
	cancel   context.CancelFunc
	cfg      config.Nacos
	loader   *config.Loader
	store    *config.Store
	servers  []server
	timeout  time.Duration
	snapPath string
	sdkDir   string
	now      func() time.Time

	applyMu   sync.Mutex  // orders applies of remote content and the fallback
	live      atomic.Bool // the config in force was fetched from Nacos
	savedMD5  string      // md5 of the snapshot on disk, under applyMu
	firstDone chan struct{}
	wg        sync.WaitGroup

	// The sync loop is the one goroutine that fetches and applies; pushes
	// kick it, Refresh sends it a reply channel.
	kick         chan struct{}
	reqs         chan refreshReq
	contactEvery time.Duration
	lastContact  atomic.Int64 // unix nanos of the last answer from Nacos

	mu     sync.Mutex // guards the fields below
	sdk    config_client.IConfigClient
	reg    *registration
	closed bool
}

// New connects to Nacos as cfg describes and makes the remote dataId the
// config in force in store (layered by loader: defaults < file < Nacos <
// env). It waits at most nacos.timeout_ms (default 3 s) for Nacos; past
// that, or when Nacos answers with an error or content that does not
// validate, it starts from the last-good snapshot under nacos.cache_dir, or
// else keeps the local config already in store, and keeps trying in the
// background. While live it asks Nacos for the dataId every 30 s (see
// WithContactCheck), so a lost connection shows as degraded and a lost push
// is repaired. An empty nacos.host returns a Client that is off (Refresh
// returns ErrDisabled). The SDK logs through the logger in ctx. Errors wrap
// config.ErrInvalid for a bad nacos section, or report a cache or log dir
// that cannot be created.
//
// The SDK has a single process-wide logger: every New with Nacos on
// replaces it with one writing to the logger in ctx, so with several
// Clients in one process the SDK's lines carry the last one's fields.
func New(ctx context.Context, cfg config.Nacos, loader *config.Loader, store *config.Store, opts ...Option) (*Client, error) {
	ctx, cancel := context.WithCancel(ctx)
	c := &Client{
		ctx: ctx, cancel: cancel, cfg: cfg, loader: loader, store: store, now: time.Now,
		firstDone: make(chan struct{}), kick: make(chan struct{}, 1), reqs: make(chan refreshReq),
		contactEvery: defaultContactEvery,
	}
	for _, o := range opts {
		o(c)
	}
	if strings.TrimSpace(cfg.Host) == "" {
		zerolog.Ctx(ctx).Info().Msg("nacos is off (nacos.host is empty); config is local")
		return c, nil
	}
	if err := c.init(); err != nil {
		cancel()
		return nil, err
	}
	logger.SetLogger(newSDKLogger(*zerolog.Ctx(ctx)))
	c.wg.Add(1)
	go c.run()
	c.awaitFirst()
	return c, nil
}

// init checks the nacos section and prepares the directories.
func (c *Client) init() error {
	servers, err := parseHosts(c.cfg.Host, c.cfg.GRPCPort)
	if err != nil {
		return err
	}
	c.servers = servers
	if strings.TrimSpace(c.cfg.DataID) == "" {
		return fmt.Errorf("%w: nacos.data_id: required when nacos.host is set", config.ErrInvalid)
	}
	if c.cfg.Group == "" {
		c.cfg.Group = defaultGroup
	}
	c.timeout = defaultTimeout
	if c.cfg.TimeoutMS > 0 {
		c.timeout = time.Duration(c.cfg.TimeoutMS) * time.Millisecond
	}
	for key, dir := range map[string]string{"nacos.cache_dir": c.cfg.CacheDir, "nacos.log_dir": c.cfg.LogDir} {
		if dir == "" {
			return fmt.Errorf("%w: %s: required when nacos.host is set", config.ErrInvalid, key)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	c.sdkDir = filepath.Join(c.cfg.CacheDir, "sdk")
	c.snapPath = snapshotPath(c.cfg.CacheDir, c.cfg.Namespace, c.cfg.Group, c.cfg.DataID)
	return nil
}

// awaitFirst waits, bounded by the timeout, for the first fetch, and falls
// back to the snapshot or local config when it did not make config live.
// The SDK alone may stall far longer (three 3 s connect attempts on a port
// that accepts but never answers), which is why the wait is ours.
func (c *Client) awaitFirst() {
	t := time.NewTimer(c.timeout)
	defer t.Stop()
	select {
	case <-c.firstDone:
	case <-t.C:
		zerolog.Ctx(c.ctx).Warn().Dur("timeout", c.timeout).Msg("nacos did not answer in time")
	}
	if !c.live.Load() {
		c.fallback()
	}
}

// run creates the SDK client, listens to the dataId and hands over to the
// sync loop, which makes the first fetch.
func (c *Client) run() {
	defer c.wg.Done()
	log := zerolog.Ctx(c.ctx)
	first := sync.OnceFunc(func() { close(c.firstDone) })
	defer first()
	cl, err := c.newConfigClient()
	if err != nil {
		log.Error().Err(err).Msg("nacos client cannot be created; config stays local or snapshot")
		return
	}
	if err := cl.ListenConfig(vo.ConfigParam{DataId: c.cfg.DataID, Group: c.cfg.Group, OnChange: c.onChange}); err != nil {
		log.Error().Err(err).Msg("nacos listen failed; changes are picked up by the contact check and refresh")
	}
	c.syncLoop(cl, first)
}

// newConfigClient builds the SDK config client and hands it to Close; when
// Close came first it closes the client itself.
func (c *Client) newConfigClient() (config_client.IConfigClient, error) {
	cl, err := clients.NewConfigClient(c.sdkParam())
	if err != nil {
		return nil, fmt.Errorf("create nacos config client: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		cl.CloseClient()
		return nil, errors.New("nacos client closed while connecting")
	}
	c.sdk = cl
	return cl, nil
}

// sdkParam is the SDK configuration. DisableUseSnapShot makes a failed fetch
// an error instead of the SDK's disk cache with a nil error, which would
// pass stale config off as live; our own snapshot covers the outage, marked
// as such. Its cache and log dirs are set so nothing lands in ./cache or
// ./log (its logs go through SetLogger anyway).
func (c *Client) sdkParam() vo.NacosClientParam {
	servers := make([]constant.ServerConfig, 0, len(c.servers))
	for _, s := range c.servers {
		servers = append(servers, constant.ServerConfig{IpAddr: s.Host, Port: uint64(s.Port), GrpcPort: uint64(s.GRPCPort)})
	}
	return vo.NacosClientParam{
		ClientConfig: &constant.ClientConfig{
			TimeoutMs:           uint64(c.timeout.Milliseconds()),
			NamespaceId:         c.cfg.Namespace,
			AppName:             c.store.Current().App.Name,
			Username:            c.cfg.Username,
			Password:            c.cfg.Password,
			CacheDir:            c.sdkDir,
			LogDir:              c.cfg.LogDir,
			LogLevel:            "warn",
			DisableUseSnapShot:  true,
			NotLoadCacheAtStart: true,
		},
		ServerConfigs: servers,
	}
}

// sdkClient returns the SDK client once it exists.
func (c *Client) sdkClient() config_client.IConfigClient {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sdk
}

// fetch asks Nacos for the dataId, bounded by the timeout and ctx, because
// the SDK call itself may block far longer. The SDK refuses more than five
// queries per second per dataId process-wide (a token bucket refilling one
// per 200 ms), and a push costs two, the SDK's and ours; a refused query is
// asked again once a token is back, within the same bound.
func (c *Client) fetch(ctx context.Context, cl config_client.IConfigClient) (string, error) {
	type result struct {
		content string
		err     error
	}
	t := time.NewTimer(c.timeout)
	defer t.Stop()
	for {
		ch := make(chan result, 1)
		go func() {
			content, err := cl.GetConfig(vo.ConfigParam{DataId: c.cfg.DataID, Group: c.cfg.Group})
			ch <- result{content, err}
		}()
		var r result
		select {
		case r = <-ch:
		case <-t.C:
			return "", fmt.Errorf("%w: get %s: no answer within %s", ErrUnavailable, c.cfg.DataID, c.timeout)
		case <-ctx.Done():
			return "", fmt.Errorf("%w: get %s: %w", ErrUnavailable, c.cfg.DataID, ctx.Err())
		}
		if r.err == nil {
			return r.content, nil
		}
		if !strings.Contains(r.err.Error(), sdkRateLimited) {
			return "", fmt.Errorf("%w: get %s: %w", ErrUnavailable, c.cfg.DataID, r.err)
		}
		select {
		case <-time.After(rateLimitWait):
		case <-t.C:
			return "", fmt.Errorf("%w: get %s: %w", ErrUnavailable, c.cfg.DataID, r.err)
		case <-ctx.Done():
			return "", fmt.Errorf("%w: get %s: %w", ErrUnavailable, c.cfg.DataID, ctx.Err())
		}
	}
}

// Enabled reports whether Nacos is configured (nacos.host not empty).
func (c *Client) Enabled() bool { return c.servers != nil }

// md5Hex is the md5 Nacos uses to compare config versions.
func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
