package nacos

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/rs/zerolog"

	"gomicro/app/config"
	"gomicro/app/errs"
)

// refusal is the error for content that does not parse or validate. Its
// client message carries the reason (the loader names keys and masks secret
// values) because the only callers who see it are ops with the admin token,
// and they need to know what to fix.
type refusal struct {
	msg   *errs.Error
	cause error
}

func (r *refusal) Error() string        { return r.msg.Message }
func (r *refusal) Unwrap() []error      { return []error{r.msg, r.cause} }
func (r *refusal) Is(target error) bool { return target == ErrRefused }

func refuse(reason error) error {
	return &refusal{msg: errs.E(errs.Invalid, ErrRefused.Message+": "+reason.Error()), cause: reason}
}

func errEmpty(dataID string) error {
	return fmt.Errorf("%w: dataId %q is empty or missing in nacos", config.ErrInvalid, dataID)
}

// apply parses and validates content (layered by the loader) and swaps it
// in. Content that fails is refused: the config in force stays and the
// refusal is logged with its reason. Empty content is refused too: a dataId
// deleted by mistake must not silently drop the business config.
func (c *Client) apply(ctx context.Context, content, via string) (config.Change, error) {
	log := zerolog.Ctx(ctx).With().Str("data_id", c.cfg.DataID).Str("via", via).Logger()
	var cfg *config.Config
	err := errEmpty(c.cfg.DataID)
	if strings.TrimSpace(content) != "" {
		cfg, err = c.loader.Build([]byte(content))
	}
	if err != nil {
		log.Error().Err(err).Str("md5", md5Hex(content)).Msg("nacos config refused; last good config kept")
		return config.Change{}, refuse(err)
	}
	sum := md5Hex(content)
	c.applyMu.Lock()
	defer c.applyMu.Unlock()
	ch := c.store.Apply(ctx, cfg, config.Meta{Source: config.SourceNacos, MD5: sum, RefreshedAt: c.now()})
	c.live.Store(true)
	if sum != c.savedMD5 {
		s := snapshot{Namespace: c.cfg.Namespace, Group: c.cfg.Group, DataID: c.cfg.DataID, MD5: sum, SavedAt: c.now(), Content: content}
		if err := writeSnapshot(c.snapPath, s); err != nil {
			log.Warn().Err(err).Msg("nacos snapshot not saved")
		} else {
			c.savedMD5 = sum
		}
	}
	ev := log.Debug()
	if len(ch.Keys) > 0 {
		ev = log.Info()
	}
	ev.Strs("keys", ch.Keys).Str("old_md5", ch.OldMD5).Str("new_md5", ch.NewMD5).Msg("nacos config applied")
	return ch, nil
}

// fallback runs when the first fetch did not make the config live: it
// starts from our snapshot when there is a valid one, else leaves the local
// config in force. Either way the source in the store says so.
func (c *Client) fallback() {
	log := zerolog.Ctx(c.ctx)
	c.applyMu.Lock()
	defer c.applyMu.Unlock()
	if c.live.Load() {
		return
	}
	s, err := readSnapshot(c.snapPath)
	if err == nil && (s.Namespace != c.cfg.Namespace || s.Group != c.cfg.Group || s.DataID != c.cfg.DataID) {
		err = fmt.Errorf("snapshot %s is for %s/%s/%s", c.snapPath, s.Namespace, s.Group, s.DataID)
	}
	var cfg *config.Config
	if err == nil {
		cfg, err = c.loader.Build([]byte(s.Content))
	}
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			log.Error().Err(err).Msg("nacos snapshot unusable")
		}
		meta := c.store.Meta()
		meta.Source = config.SourceLocal
		c.store.Apply(c.ctx, c.store.Current(), meta)
		log.Warn().Str("source", config.SourceLocal).Msg("nacos unreachable; starting from local config, retrying in the background")
		return
	}
	c.savedMD5 = s.MD5
	c.store.Apply(c.ctx, cfg, config.Meta{Source: config.SourceSnapshot, MD5: s.MD5, RefreshedAt: s.SavedAt})
	log.Warn().Str("source", config.SourceSnapshot).Time("saved_at", s.SavedAt).Str("md5", s.MD5).
		Msg("nacos unreachable; starting from the last-good snapshot, retrying in the background")
}
