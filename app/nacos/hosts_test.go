package nacos

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"gomicro/app/config"
)

func TestParseHosts(t *testing.T) {
	cases := []struct {
		in   string
		grpc int
		want []server
	}{
		{"nacos:8848", 0, []server{{Host: "nacos", Port: 8848}}},
		{"nacos", 0, []server{{Host: "nacos", Port: 8848}}},
		{"http://10.0.0.1:8848/nacos", 0, []server{{Host: "10.0.0.1", Port: 8848}}},
		{" a:1 , b:2 ,", 9849, []server{{Host: "a", Port: 1, GRPCPort: 9849}, {Host: "b", Port: 2, GRPCPort: 9849}}},
		{"[::1]:8848", 0, []server{{Host: "::1", Port: 8848}}},
		{"::1", 0, []server{{Host: "::1", Port: 8848}}},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseHosts(tc.in, tc.grpc)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("parseHosts(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestParseHostsRejects(t *testing.T) {
	for _, in := range []string{"", " , ", "nacos:0", "nacos:70000", "nacos:port", "ftp://nacos", "user@nacos:8848", ":8848"} {
		t.Run(in, func(t *testing.T) {
			if got, err := parseHosts(in, 0); !errors.Is(err, config.ErrInvalid) {
				t.Errorf("parseHosts(%q) = %+v, %v; want config.ErrInvalid", in, got, err)
			}
		})
	}
}

func TestParseHostsErrorHidesUserinfo(t *testing.T) {
	for _, in := range []string{
		"http://user:pw-secret@nacos:8848",
		"user:pw-secret@nacos:8848",
		"a:1, https://u:pw-secret@b:2/nacos",
		"http://u:pw@secret@nacos:99999",
	} {
		t.Run(in, func(t *testing.T) {
			_, err := parseHosts(in, 0)
			if !errors.Is(err, config.ErrInvalid) {
				t.Fatalf("parseHosts(%q) = %v, want config.ErrInvalid", in, err)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error quotes the password: %v", err)
			}
			if !strings.Contains(err.Error(), "***@") {
				t.Errorf("error %v does not show where the userinfo was", err)
			}
		})
	}
}

// FuzzParseHosts feeds nacos.host values from env or file: never a panic,
// and anything accepted is usable as a server address.
func FuzzParseHosts(f *testing.F) {
	for _, s := range []string{"nacos:8848", "http://a:1/x,b", "[::1]:8848", "a:,b", "::", "https://", "a:99999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := parseHosts(in, 0)
		if err != nil {
			if !errors.Is(err, config.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			if at := strings.LastIndexByte(in, '@'); at > 0 && !strings.Contains(in[at:], ",") {
				if cred := in[:at]; strings.Contains(cred, "pw") && strings.Contains(err.Error(), cred) {
					t.Fatalf("error %v quotes the userinfo %q", err, cred)
				}
			}
			return
		}
		for _, s := range got {
			if s.Host == "" || s.Port < 1 || s.Port > 65535 {
				t.Fatalf("parseHosts(%q) accepted %+v", in, s)
			}
		}
	})
}
