package web

import (
	"encoding/json"
	"testing"
	"time"
)

func TestAppendMillis(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                       "0.000",
		61234 * time.Nanosecond: "0.061",
		999999:                  "0.999",
		1500 * time.Millisecond: "1500.000",
		-2 * time.Millisecond:   "-2.000",
		3*time.Hour + 7:         "10800000.000",
	} {
		got := string(appendMillis(nil, d))
		if got != want {
			t.Errorf("%v: %s, want %s", d, got, want)
		}
		var f float64
		if err := json.Unmarshal([]byte(got), &f); err != nil {
			t.Errorf("%v: %s is not a JSON number", d, got)
		}
	}
}
