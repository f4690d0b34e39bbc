//go:build !race

package nacos_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"gomicro/app/config"
	"gomicro/app/nacos/nacostest"
)

// pythonDataID is a dataId as the Python template wrote it: its key names,
// and keys this service does not know, which must not stop it loading.
const pythonDataID = `
server:
  host: 0.0.0.0
  port: 8080
database:
  user: order_app
  password: py-db-secret
  host: mysql.internal
  port: 3307
xxl-job:
  url: http://xxl-admin.internal:8080/xxl-job-admin
  app_name: order-executor
  access_token: py-xxl-secret
  port: 9998
wechat:
  robot_templates:
    order_alarm:
      key: py-robot-secret
      template: "订单服务 {0} 异常: {1}"
      alarm_level: URGENT
redis:
  host: redis.internal
  port: 6379
feature_flags:
  new_checkout: true
`

func TestPythonTemplateDataIDLoadsUnchanged(t *testing.T) {
	e := newEnv(t)
	fake := startFake(t, "127.0.0.1:0")
	fake.SetConfig(e.key, pythonDataID)
	changes := make(chan config.Change, 4)
	e.store.Subscribe(func(_ context.Context, ch config.Change) { changes <- ch })
	c := e.open(e.nacosConfig(fake.Port()))

	if st := c.Status(); st.Source != config.SourceNacos || st.MD5 != nacostest.MD5(pythonDataID) {
		t.Fatalf("status = %+v, want the dataId live from nacos", st)
	}
	cur := e.store.Current()
	robot := cur.WeChat.RobotTemplates["order_alarm"]
	for _, tc := range []struct {
		key       string
		got, want any
	}{
		{"server.host", cur.Server.Host, "0.0.0.0"},
		{"server.port", cur.Server.Port, 8080},
		{"database.user", cur.Database.User, "order_app"},
		{"database.password", cur.Database.Password, "py-db-secret"},
		{"database.host", cur.Database.Host, "mysql.internal"},
		{"database.port", cur.Database.Port, 3307},
		{"xxl-job.url", cur.XxlJob.URL, "http://xxl-admin.internal:8080/xxl-job-admin"},
		{"xxl-job.app_name", cur.XxlJob.AppName, "order-executor"},
		{"xxl-job.access_token", cur.XxlJob.AccessToken, "py-xxl-secret"},
		{"xxl-job.port", cur.XxlJob.Port, 9998},
		{"wechat.robot_templates.order_alarm.key", robot.Key, "py-robot-secret"},
		{"wechat.robot_templates.order_alarm.template", robot.Template, "订单服务 {0} 异常: {1}"},
		{"wechat.robot_templates.order_alarm.alarm_level", robot.AlarmLevel, "URGENT"},
		{"redis.host and redis.port (the Python template's spelling)", cur.Redis.Addr, "redis.internal:6379"},
		{"app.name (from the local file)", cur.App.Name, "svc-local"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("%s = %v, want %v", tc.key, tc.got, tc.want)
			}
		})
	}

	select {
	case ch := <-changes:
		for _, k := range []string{"redis.host", "feature_flags.new_checkout", "server.port"} {
			if !slices.Contains(ch.Keys, k) {
				t.Errorf("changed keys %v lack %s: keys the service does not know are kept", ch.Keys, k)
			}
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no change reported for the initial load")
	}
}

// A namespace other than public is sent as the tenant of every request, and
// the fake answers and pushes only for the tenant it was asked for.
func TestNamespaceIsUsedForLoadPushAndRefresh(t *testing.T) {
	e := newEnv(t)
	e.key.Tenant = "dev-ns"
	fake := startFake(t, "127.0.0.1:0")
	fake.SetConfig(e.key, remoteA)
	public := e.key
	public.Tenant = ""
	fake.SetConfig(public, remoteB) // same group and dataId, other namespace
	c := e.open(e.nacosConfig(fake.Port()))

	if st := c.Status(); st.Source != config.SourceNacos || st.MD5 != nacostest.MD5(remoteA) {
		t.Fatalf("status = %+v, want A from namespace dev-ns", st)
	}
	e.settle(fake)
	if fake.Listening(e.key) == 0 || fake.Listening(public) != 0 {
		t.Errorf("listening in dev-ns %d, public %d; want dev-ns only", fake.Listening(e.key), fake.Listening(public))
	}

	fake.SetConfig(e.key, remoteB)
	eventually(t, 2*time.Second, "push in dev-ns applied", func() bool { return e.store.Current().Log.Level == "error" })

	fake.SetConfigSilently(e.key, remoteA)
	ch, err := c.Refresh(e.ctx)
	if err != nil || ch.NewMD5 != nacostest.MD5(remoteA) {
		t.Errorf("Refresh = %+v, %v; want A from dev-ns", ch, err)
	}
}
