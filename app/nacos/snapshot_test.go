package nacos

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSnapshotRoundTripIsPrivate(t *testing.T) {
	dir := t.TempDir()
	path := snapshotPath(dir, "ns", "G", "app.yaml")
	want := snapshot{Namespace: "ns", Group: "G", DataID: "app.yaml", MD5: md5Hex("a: 1"), SavedAt: time.Unix(1700000000, 0).UTC(), Content: "a: 1"}
	if err := writeSnapshot(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := readSnapshot(path)
	if err != nil || got != want {
		t.Fatalf("read = %+v, %v; want %+v", got, err, want)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("snapshot mode %v (%v), want 0600: it holds secrets", info.Mode(), err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".snapshot-*")); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

func TestSnapshotPathStaysInDir(t *testing.T) {
	dir := t.TempDir()
	p := snapshotPath(dir, "../..", "/etc", "../passwd")
	if !strings.HasPrefix(p, filepath.Join(dir, "snapshot")+string(filepath.Separator)) || strings.Contains(filepath.Base(p), "/") {
		t.Errorf("snapshotPath escaped the dir: %s", p)
	}
	if snapshotPath(dir, "", "G", "a") == snapshotPath(dir, "", "G", "b") {
		t.Error("different dataIds share a snapshot")
	}
}

func TestReadMissingSnapshot(t *testing.T) {
	_, err := readSnapshot(filepath.Join(t.TempDir(), "none.json"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want fs.ErrNotExist", err)
	}
}
