package nacos

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// Controller serves the ops endpoints of the config center. Authentication
// (the admin token, or loopback only without one) belongs to the ops group
// the web package registers it on.
type Controller struct {
	client *Client
}

// NewController returns the ops controller over c.
func NewController(c *Client) *Controller { return &Controller{client: c} }

// ConfigView is the effective config as ops see it.
type ConfigView struct {
	Source      string         `json:"source" enum:"nacos,snapshot,local" doc:"Where the config in force came from: nacos (live), snapshot (our last-good copy on disk, Nacos unreachable) or local (file and env only)"`
	Degraded    bool           `json:"degraded" doc:"Nacos is on but the config in force did not come from it, or Nacos has stopped answering so it may be stale"`
	MD5         string         `json:"md5" doc:"md5 of the Nacos content the config was built from; empty for local"`
	RefreshedAt time.Time      `json:"refreshed_at" doc:"When the config in force was last fetched (for a snapshot: when it was saved)"`
	LastContact time.Time      `json:"last_contact" doc:"When Nacos last answered; zero if it never did"`
	Config      map[string]any `json:"config" doc:"Effective config with every secret masked"`
}

// RefreshResult says what a refresh changed.
type RefreshResult struct {
	Changed     bool      `json:"changed" doc:"Whether any key changed"`
	ChangedKeys []string  `json:"changed_keys" doc:"Config keys whose values changed, sorted"`
	OldMD5      string    `json:"old_md5"`
	NewMD5      string    `json:"new_md5"`
	Source      string    `json:"source"`
	RefreshedAt time.Time `json:"refreshed_at"`
}

type configOutput struct{ Body ConfigView }

type refreshOutput struct{ Body RefreshResult }

// Register adds GET /nacos/getConfig and POST /nacos/refresh to api.
func (c *Controller) Register(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "nacos-get-config",
		Method:      http.MethodGet,
		Path:        "/nacos/getConfig",
		Summary:     "Show the effective config, secrets masked, with its source",
		Tags:        []string{"nacos"},
	}, c.getConfig)
	huma.Register(api, huma.Operation{
		OperationID: "nacos-refresh",
		Method:      http.MethodPost,
		Path:        "/nacos/refresh",
		Summary:     "Fetch the Nacos dataId now and apply it",
		Description: "Picks up a change whose push was lost. Content that does not parse or validate is refused (422) and the last good config stays.",
		Tags:        []string{"nacos"},
	}, c.refresh)
}

func (c *Controller) getConfig(_ context.Context, _ *struct{}) (*configOutput, error) {
	st := c.client.Status()
	return &configOutput{Body: ConfigView{
		Source: st.Source, Degraded: st.Degraded(), MD5: st.MD5, RefreshedAt: st.RefreshedAt, LastContact: st.LastContact,
		Config: c.client.store.Current().Masked(),
	}}, nil
}

func (c *Controller) refresh(ctx context.Context, _ *struct{}) (*refreshOutput, error) {
	ch, err := c.client.Refresh(ctx)
	if err != nil {
		return nil, err
	}
	st := c.client.Status()
	keys := ch.Keys
	if keys == nil {
		keys = []string{}
	}
	return &refreshOutput{Body: RefreshResult{
		Changed: len(keys) > 0, ChangedKeys: keys, OldMD5: ch.OldMD5, NewMD5: ch.NewMD5,
		Source: st.Source, RefreshedAt: st.RefreshedAt,
	}}, nil
}
