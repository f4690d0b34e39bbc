//go:build !race

// This test drives the Nacos SDK, which has data races in its own connection
// code; `make test` runs it in a separate pass without -race.

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gomicro/app/nacos/nacostest"
)

// TestRefreshNacosConfigTask triggers refresh_nacos_config_task after a
// change whose push the fake never sent: the task fetches it and reports the
// changed keys in its callback.
func TestRefreshNacosConfigTask(t *testing.T) {
	fake, err := nacostest.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Stop()
	key := nacostest.Key{Group: "DEFAULT_GROUP", DataID: uniqueDataID("job-refresh")}
	fake.SetConfig(key, "log: {level: warn}\n")

	dirs, err := os.MkdirTemp("", "job-nacos-") // SDK goroutines may outlive t.TempDir
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dirs) }) // registered first, so it runs after run has stopped
	admin := newAdmin(t)
	port := freePort(t)
	job := startRun(t, writeConfig(t, testConfig{admin: admin.url, port: port, nacos: fmt.Sprintf(`nacos:
  host: 127.0.0.1:8848
  grpc_port: %d
  data_id: %s
  timeout_ms: 2000
  cache_dir: %q
  log_dir: %q
`, fake.Port(), key.DataID, filepath.Join(dirs, "cache"), filepath.Join(dirs, "log"))}))
	job.next(t, admin, "/api/registry ")
	// Change the content only once the client's start-up sync is over, or
	// that sync (not the task) would pick the change up. The sync is three
	// queries: our first fetch; the SDK's, because it starts listening with
	// no md5 and is told the dataId changed; and our fetch on the listener
	// call that query makes. Then the SDK listens with the current md5
	// (InSync) and, told nothing changed, sends nothing more.
	deadline := time.Now().Add(10 * time.Second)
	for !(fake.InSync(key) && fake.Requests("ConfigQueryRequest") >= 3) {
		if time.Now().After(deadline) {
			t.Fatalf("nacos client never settled: in sync %v after %d queries", fake.InSync(key), fake.Requests("ConfigQueryRequest"))
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not synchronisation
	}

	fake.SetConfigSilently(key, "log: {level: error}\nxxl-job: {log_retention_days: 7}\n")
	trigger(t, port, `{"jobId":3,"logId":31,"executorHandler":"refresh_nacos_config_task","logDateTime":1700000000000}`)
	cb := job.callback(t, admin)
	if cb.LogID != 31 || cb.HandleCode != 200 || !strings.Contains(cb.HandleMsg, "log.level") ||
		!strings.Contains(cb.HandleMsg, "xxl-job.log_retention_days") {
		t.Fatalf("refresh callback %+v", cb)
	}
	job.stop(t, admin)
}

// uniqueDataID names a dataId no other test in this process used: the SDK
// keeps per-dataId state process-wide (rate limits, caches), which would
// otherwise carry over between -count runs.
func uniqueDataID(name string) string {
	return fmt.Sprintf("%s-%d.yaml", name, time.Now().UnixNano())
}
