package gateway

import (
	"strings"
	"testing"
)

func TestParseTopic(t *testing.T) {
	for _, tt := range []struct {
		topic   string
		want    route
		wantErr string
	}{
		{"Chat/HD_Say/7", route{"Chat", "HD_Say", "7"}, ""},
		{"Chat/HD_Say", route{"Chat", "HD_Say", ""}, ""},
		{"Chat@node1/HD_Say/7", route{"Chat", "HD_Say", "7"}, ""},
		{"Chat/Handler_Say/7", route{"Chat", "Handler_Say", "7"}, ""},
		{"Chat/HD_Say/7/extra", route{"Chat", "HD_Say", ""}, ""},
		{"Chat/Say/7", route{"Chat", "Say", "7"}, "Method(Say) must begin with 'HD_'"},
		{"Chat", route{}, errTopic},
		{"", route{}, errTopic},
	} {
		got, err := parseTopic(tt.topic)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
			t.Errorf("parseTopic(%q) error %v, want %q", tt.topic, err, tt.wantErr)
		}
		if got != tt.want {
			t.Errorf("parseTopic(%q) = %+v, want %+v", tt.topic, got, tt.want)
		}
	}
}

// FuzzParseTopic: any topic parses without panicking; a route with a msgid
// came from exactly three parts, and an accepted name has a handler prefix.
func FuzzParseTopic(f *testing.F) {
	for _, s := range []string{"Chat/HD_Say/7", "Login/HD_Login", "a@b/HD_/", "//", "Chat/Say", "x/HD_y/z/w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, topic string) {
		r, err := parseTopic(topic)
		parts := strings.Split(topic, "/")
		if r.msgid != "" && len(parts) != 3 {
			t.Fatalf("%q: msgid %q from %d parts", topic, r.msgid, len(parts))
		}
		if err == nil && !strings.HasPrefix(r.name, "HD_") && !strings.HasPrefix(r.name, "Handler_") {
			t.Fatalf("%q: accepted name %q", topic, r.name)
		}
		if strings.Contains(r.module, "@") {
			t.Fatalf("%q: module %q keeps its node", topic, r.module)
		}
	})
}
