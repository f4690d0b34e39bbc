package xxljob

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Record file suffixes: a trigger accepted and not yet settled, and one
// whose result is on the spool (or delivered, or dropped).
const (
	recRun  = ".run"
	recDone = ".done"
)

// msgRestarted is the result of a run a crash cut off.
const msgRestarted = "executor restarted while the job ran"

// runRecords keeps one small file per accepted trigger in
// <log_path>/callbacklog/runs/. <logId>.run is written and fsynced before
// /run answers success; it becomes <logId>.done once the run's result is on
// the callback spool, which then owns its delivery. A .run file found at
// start is a run the last process accepted and never settled: it is
// reported failed. Both kinds name the log ids of the duplicate window, so
// a restarted executor refuses what the crashed one would have refused.
type runRecords struct {
	dir string
}

func newRunRecords(logPath string) *runRecords {
	return &runRecords{dir: filepath.Join(callbackDir(logPath), "runs")}
}

// runRecord is what a .run file holds: enough for the callback of a run
// that never finished.
type runRecord struct {
	LogID      int64  `json:"logId"`
	LogDateTim int64  `json:"logDateTim"`
	JobID      int64  `json:"jobId"`
	Handler    string `json:"executorHandler"`
}

func (r *runRecords) path(id int64, suffix string) string {
	return filepath.Join(r.dir, strconv.FormatInt(id, 10)+suffix)
}

// accept records rec durably. One fsync of the file: on the journaling
// file systems a server runs (ext4, xfs) it commits the new directory
// entry with it, and the file's name alone is enough to report the run.
func (r *runRecords) accept(rec runRecord) error {
	raw, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("record trigger %d: %w", rec.LogID, err)
	}
	f, err := os.OpenFile(r.path(rec.LogID, recRun), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("record trigger %d: %w", rec.LogID, err)
	}
	_, err = f.Write(raw)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("record trigger %d: %w", rec.LogID, err)
	}
	return nil
}

// drop removes the record of a trigger refused after it was recorded.
func (r *runRecords) drop(id int64) { _ = os.Remove(r.path(id, recRun)) }

// settle marks the runs of cbs as reported. No fsync: should a crash undo
// the rename, the next start reports the run failed once more, and the
// admin keeps the result it already has.
func (r *runRecords) settle(cbs []Callback) error {
	var errs []error
	for _, cb := range cbs {
		err := os.Rename(r.path(cb.LogID, recRun), r.path(cb.LogID, recDone))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// forget removes the record of a log id that left the duplicate window.
func (r *runRecords) forget(id int64) { _ = os.Remove(r.path(id, recDone)) }

// recorded is the state of the records at start.
type recorded struct {
	ids  []int64     // every recorded log id, oldest first
	open []runRecord // runs accepted and never settled
}

// load reads the records left by earlier processes and removes settled ones
// beyond the newest window. An unreadable .run file still names its log id,
// which is all the admin needs; such a run is reported with no date.
func (r *runRecords) load(window int) (recorded, error) {
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return recorded{}, fmt.Errorf("create run records: %w", err)
	}
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		return recorded{}, fmt.Errorf("read run records: %w", err)
	}
	type entry struct {
		id   int64
		open bool
		at   time.Time
	}
	var all []entry
	for _, d := range entries {
		name, suffix := d.Name(), filepath.Ext(d.Name())
		id, err := strconv.ParseInt(strings.TrimSuffix(name, suffix), 10, 64)
		info, ierr := d.Info()
		if err != nil || ierr != nil || d.IsDir() || (suffix != recRun && suffix != recDone) {
			continue
		}
		all = append(all, entry{id: id, open: suffix == recRun, at: info.ModTime()})
	}
	slices.SortStableFunc(all, func(a, b entry) int { return a.at.Compare(b.at) })
	var out recorded
	for i, e := range all {
		if e.open {
			out.open = append(out.open, r.read(e.id))
		} else if i < len(all)-window {
			r.forget(e.id)
			continue
		}
		out.ids = append(out.ids, e.id)
	}
	return out, nil
}

func (r *runRecords) read(id int64) runRecord {
	rec := runRecord{LogID: id}
	raw, err := os.ReadFile(r.path(id, recRun))
	if err == nil && json.Unmarshal(raw, &rec) == nil && rec.LogID == id {
		return rec
	}
	return runRecord{LogID: id}
}
