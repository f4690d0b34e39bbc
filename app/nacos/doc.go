// Package nacos connects gomicro to the Nacos config center and service
// registry. A Client loads the business config from one dataId at start
// (bounded in time, falling back to its own last-good snapshot on disk and
// then to local defaults), follows pushed changes, refreshes on demand, and
// registers the server as an ephemeral instance. Every change is parsed and
// validated by config.Loader and swapped into config.Store; a change that
// fails is refused and the last good config stays. One goroutine fetches
// and applies, for pushes, refreshes and a periodic contact check alike, so
// an older answer never overwrites a newer one, and config from a Nacos
// that stopped answering shows as degraded.
package nacos
