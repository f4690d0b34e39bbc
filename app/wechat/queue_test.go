package wechat

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzDecodeTask feeds the worker's reader of broker messages anything: it
// either refuses with errTask (the message is dead-lettered) or returns a
// task with what processing needs, which survives a round trip.
func FuzzDecodeTask(f *testing.F) {
	good, err := json.Marshal(&task{V: taskVersion, ID: "0123", Account: "shop", TraceID: "t", Deadline: 1, Mode: modeSafe, ReplyTo: "c",
		Message: &Message{FromUserName: "o", MsgType: TypeText, Content: "hi", Fields: []Field{{Name: "Content", Value: "hi"}}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"v":2,"id":"x","account":"a","message":{}}`))
	f.Add([]byte(`{"v":1,"id":"","account":"a","message":{}}`))
	f.Add([]byte(`{"v":1,"id":"x","account":"a","message":null}`))
	f.Add([]byte(`[1,2]`))
	f.Add([]byte{0xff, '{'})
	f.Fuzz(func(t *testing.T, body []byte) {
		tk, err := decodeTask(body)
		if err != nil {
			if !errors.Is(err, errTask) {
				t.Fatalf("error %v does not wrap errTask", err)
			}
			return
		}
		if tk.V != taskVersion || tk.ID == "" || tk.Account == "" || tk.Message == nil {
			t.Fatalf("accepted an incomplete task %+v", tk)
		}
		again, err := json.Marshal(tk)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeTask(again)
		if err != nil || back.ID != tk.ID || back.Account != tk.Account || back.Message.Content != tk.Message.Content {
			t.Fatalf("round trip: %+v, %v", back, err)
		}
	})
}
