package wechat_test

import (
	"encoding/xml"
	"testing"
	"time"

	"gomicro/app/wechat"
)

// unmarshalMessage is the baseline: a typed struct through
// encoding/xml.Unmarshal, as the Go SDKs read messages.
type unmarshalMessage struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   string   `xml:"ToUserName"`
	FromUserName string   `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      string   `xml:"MsgType"`
	Content      string   `xml:"Content"`
	MsgID        string   `xml:"MsgId"`
	MsgDataID    string   `xml:"MsgDataId"`
	Idx          string   `xml:"Idx"`
	Event        string   `xml:"Event"`
	EventKey     string   `xml:"EventKey"`
	MediaID      string   `xml:"MediaId"`
	Recognition  string   `xml:"Recognition"`
}

// BenchmarkDecode reads the documentation's text message with the
// scanner and with encoding/xml.Unmarshal, interleaved so both see the same
// machine state, and reports speedup (Unmarshal time / scanner time) and
// each one's allocations (target: at least 8x, at most 8 allocs).
func BenchmarkDecode(b *testing.B) {
	body := []byte(textMessage)
	scan := func() {
		m, err := wechat.DecodeMessage(body)
		if err != nil || m.Content == "" {
			b.Fatal(err)
		}
	}
	unmarshal := func() {
		var m unmarshalMessage
		if err := xml.Unmarshal(body, &m); err != nil || m.Content == "" {
			b.Fatal(err)
		}
	}
	var scanNs, stdNs time.Duration
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		t0 := time.Now()
		scan()
		t1 := time.Now()
		unmarshal()
		scanNs += t1.Sub(t0)
		stdNs += time.Since(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(scanNs)/n, "scan-ns/op")
	b.ReportMetric(float64(stdNs)/n, "unmarshal-ns/op")
	b.ReportMetric(float64(stdNs)/float64(scanNs), "speedup")
	b.ReportMetric(testing.AllocsPerRun(1000, scan), "scan-allocs/op")
	b.ReportMetric(testing.AllocsPerRun(1000, unmarshal), "unmarshal-allocs/op")
}
