package nacos

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// snapshot is our own last-good copy of the dataId, written only after its
// content was fetched live, parsed and validated. Unlike the SDK's disk
// cache it can never be mistaken for live config: it is read only when
// Nacos does not answer at start, and the config built from it is marked
// config.SourceSnapshot.
type snapshot struct {
	Namespace string    `json:"namespace"`
	Group     string    `json:"group"`
	DataID    string    `json:"data_id"`
	MD5       string    `json:"md5"`
	SavedAt   time.Time `json:"saved_at"`
	Content   string    `json:"content"`
}

// unsafeName matches what may not appear in a file name built from a
// namespace, group and dataId.
var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// snapshotPath names the file of one namespace/group/dataId under dir, so a
// changed dataId never starts from another one's snapshot.
func snapshotPath(dir, namespace, group, dataID string) string {
	name := unsafeName.ReplaceAllString(namespace+"+"+group+"+"+dataID, "_")
	return filepath.Join(dir, "snapshot", name+".json")
}

// writeSnapshot stores s atomically (temp file and rename) with owner-only
// permissions, because the content holds the service's secrets.
func writeSnapshot(path string, s snapshot) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create snapshot dir: %w", err)
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode snapshot: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".snapshot-*")
	if err != nil {
		return fmt.Errorf("create snapshot: %w", err)
	}
	_, werr := tmp.Write(raw)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("write snapshot %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("replace snapshot %s: %w", path, err)
	}
	return nil
}

// readSnapshot loads the snapshot at path. A missing file returns an error
// satisfying errors.Is(err, fs.ErrNotExist).
func readSnapshot(path string) (snapshot, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return snapshot{}, fmt.Errorf("read snapshot: %w", err)
	}
	var s snapshot
	if err := json.Unmarshal(raw, &s); err != nil {
		return snapshot{}, fmt.Errorf("decode snapshot %s: %w", path, err)
	}
	return s, nil
}
