package logging

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const dayLayout = "2006-01-02"

// DailyFile writes to <dir>/[<prefix>-]YYYY-MM-DD.log, switching files at
// midnight in its location and removing files older than the retention
// period.
type DailyFile struct {
	dir       string
	prefix    string
	retention int
	now       func() time.Time
	loc       atomic.Pointer[time.Location]

	mu  sync.Mutex
	day string
	f   *os.File
}

// NewDailyFile creates dir if needed and opens today's file. retentionDays 0
// keeps files forever. now is the clock (time.Now outside tests) and loc
// the zone whose midnight starts a new file (app.timezone; nil is UTC). The
// error names the dir or file that could not be created.
func NewDailyFile(dir, prefix string, retentionDays int, now func() time.Time, loc *time.Location) (*DailyFile, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("log.dir %s: %w", dir, err)
	}
	if loc == nil {
		loc = time.UTC
	}
	d := &DailyFile{dir: dir, prefix: prefix, retention: retentionDays, now: now}
	d.loc.Store(loc)
	if err := d.roll(d.today()); err != nil {
		return nil, err
	}
	return d, nil
}

// SetLocation moves the day boundary to loc's midnight from the next write.
func (d *DailyFile) SetLocation(loc *time.Location) { d.loc.Store(loc) }

func (d *DailyFile) today() string { return d.now().In(d.loc.Load()).Format(dayLayout) }

// Write appends p to the current day's file, rolling over first if the day
// changed since the last write. The error is the file system's: opening the
// new day's file or writing.
func (d *DailyFile) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if day := d.today(); day != d.day {
		if err := d.roll(day); err != nil {
			return 0, err
		}
	}
	return d.f.Write(p)
}

// Name returns the path of the file being written.
func (d *DailyFile) Name() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.f.Name()
}

// Close closes the current file; its error is the file system's.
func (d *DailyFile) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.f.Close()
}

func (d *DailyFile) fileName(day string) string {
	if d.prefix != "" {
		return d.prefix + "-" + day + ".log"
	}
	return day + ".log"
}

func (d *DailyFile) roll(day string) error {
	f, err := os.OpenFile(filepath.Join(d.dir, d.fileName(day)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	if d.f != nil {
		_ = d.f.Close()
	}
	d.f, d.day = f, day
	d.prune()
	return nil
}

// prune removes our dated files older than the retention period. It only
// touches names it could have written, so other files in dir are safe.
func (d *DailyFile) prune() {
	if d.retention <= 0 {
		return
	}
	entries, err := os.ReadDir(d.dir)
	if err != nil {
		return
	}
	loc := d.loc.Load()
	today, _ := time.ParseInLocation(dayLayout, d.day, loc)
	cutoff := today.AddDate(0, 0, -d.retention)
	for _, e := range entries {
		name := e.Name()
		if d.prefix != "" {
			if !strings.HasPrefix(name, d.prefix+"-") {
				continue
			}
			name = strings.TrimPrefix(name, d.prefix+"-")
		}
		dayPart, ok := strings.CutSuffix(name, ".log")
		if !ok {
			continue
		}
		t, err := time.ParseInLocation(dayLayout, dayPart, loc)
		if err == nil && t.Before(cutoff) {
			_ = os.Remove(filepath.Join(d.dir, e.Name()))
		}
	}
}
