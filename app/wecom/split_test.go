package wecom_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"gomicro/app/wecom"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		limit int
		want  []string
	}{
		{"empty", "", 10, nil},
		{"fits", "abc", 10, []string{"abc"}},
		{"exact", "abcdefghij", 10, []string{"abcdefghij"}},
		{"at newline", "abcd\nefgh\nij", 10, []string{"abcd\nefgh\n", "ij"}},
		{"last newline wins", "ab\ncd\nefghijkl", 10, []string{"ab\ncd\n", "efghijkl"}},
		{"no newline", "abcdefghijkl", 10, []string{"abcdefghij", "kl"}},
		// 你 is 3 bytes: 10 bytes hold 3 of them, the 4th would be cut.
		{"chinese at boundary", "你好世界再见", 10, []string{"你好世", "界再见"}},
		{"mixed at boundary", "a你好世界", 10, []string{"a你好世", "界"}},
		{"chinese lines", "第一行\n第二行很长很长", 12, []string{"第一行\n", "第二行很", "长很长"}},
		{"emoji", "😀😀😀", 5, []string{"😀", "😀", "😀"}},
		{"invalid utf8 becomes U+FFFD", "ab\xffcd", 10, []string{"ab\uFFFDcd"}},
		// A newline in the first half of the limit is no place to cut: the
		// part would be short, or nothing but the newline.
		{"newline too early", "ab\ncdefghijkl", 10, []string{"ab\ncdefghi", "jkl"}},
		{"leading newline", "\n" + strings.Repeat("a", 3000), wecom.TextLimit,
			[]string{"\n" + strings.Repeat("a", wecom.TextLimit-1), strings.Repeat("a", 3000-wecom.TextLimit+1)}},
		// WeCom shows a whitespace-only message as an empty bubble, or
		// refuses it: whitespace stays with text on either side.
		{"trailing whitespace stays with text", "abcdefghi\n  ", 10, []string{"abcdefgh", "i\n  "}},
		{"blank lines stay with text", "abcdefgh\n\n" + strings.Repeat("\n", 8) + "ijk", 10,
			[]string{"abcdefgh\n\n", strings.Repeat("\n", 8) + "ij", "k"}},
		{"all whitespace", "            ", 10, []string{"          ", "  "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := wecom.Split(tt.in, tt.limit)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("Split(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
			}
		})
	}
}

// checkSplit asserts the splitter's invariants: nothing lost or reordered,
// no part over the limit or empty, no character cut.
func checkSplit(t *testing.T, in string, limit int) []string {
	t.Helper()
	parts := wecom.Split(in, limit)
	valid := strings.ToValidUTF8(in, "\uFFFD")
	if got := strings.Join(parts, ""); got != valid {
		t.Fatalf("parts do not join back to the input: %q vs %q", got, valid)
	}
	eff := max(limit, utf8.UTFMax)
	// Whitespace-only parts are unavoidable only for input that is all
	// whitespace or holds a long run of it.
	blankOK := strings.TrimSpace(valid) == "" || longestSpaceRun(valid) >= eff/2-utf8.UTFMax
	for i, p := range parts {
		if p == "" || len(p) > eff || !utf8.ValidString(p) {
			t.Fatalf("part %d of %q (limit %d) is bad: %q", i, in, limit, p)
		}
		if !blankOK && strings.TrimSpace(p) == "" {
			t.Fatalf("part %d of %q (limit %d) is only whitespace: %q", i, in, limit, p)
		}
		// A part cut mid-line holds no newline in its second half: a cut
		// there would have kept at least half the limit (unless all before
		// that newline is whitespace).
		if i < len(parts)-1 && !strings.HasSuffix(p, "\n") {
			if nl := strings.LastIndexByte(p, '\n') + 1; nl >= eff/2 && strings.TrimSpace(p[:nl]) != "" {
				t.Fatalf("part %d %q was cut mid-line though a newline at %d fitted", i, p, nl)
			}
		}
	}
	return parts
}

// longestSpaceRun returns the length in bytes of the longest run of
// whitespace in s.
func longestSpaceRun(s string) int {
	longest, run := 0, 0
	for _, r := range s {
		if !unicode.IsSpace(r) {
			run = 0
			continue
		}
		run += utf8.RuneLen(r)
		longest = max(longest, run)
	}
	return longest
}

func FuzzSplit(f *testing.F) {
	f.Add("你好世界再见", 10)
	f.Add("line one\nline two\n第三行\n", 7)
	f.Add(strings.Repeat("告警", 2000), wecom.TextLimit)
	f.Add("ab\xff\xfecd\n\n", 3)
	f.Add("😀a😀b", 4)
	f.Add("\n"+strings.Repeat("a", 3000), wecom.TextLimit)
	f.Add("abcdefghi\n  ", 10)
	f.Fuzz(func(t *testing.T, in string, limit int) {
		if limit > 1<<16 || limit < -1<<16 {
			return
		}
		checkSplit(t, in, limit)
	})
}

// TestSendSplitsLongText sends text and markdown over WeCom's limits with
// Chinese characters straddling each limit and checks what WeCom receives.
func TestSendSplitsLongText(t *testing.T) {
	// 2047 ASCII bytes then 3-byte characters: the first limit falls inside
	// the first 告.
	long := strings.Repeat("a", wecom.TextLimit-1) + strings.Repeat("告警", 700)
	var lines strings.Builder
	for lines.Len() < 3*wecom.MarkdownLimit {
		lines.WriteString("第 N 行：<font color=\"warning\">磁盘使用率 95%</font>\n")
	}
	tests := []struct {
		name    string
		msg     wecom.Message
		content string
		limit   int
		kind    string
	}{
		{"text", wecom.Text{Content: long, MentionedList: []string{wecom.MentionAll}}, long, wecom.TextLimit, "text"},
		{"markdown", wecom.Markdown{Content: lines.String()}, lines.String(), wecom.MarkdownLimit, "markdown"},
		{"markdown_v2", wecom.MarkdownV2{Content: long + long}, long + long, wecom.MarkdownLimit, "markdown_v2"},
	}
	s := newSetup(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.wecom.count()
			if err := s.client.SendSync(s.ctx, "DEFAULT", tt.msg); err != nil {
				t.Fatalf("SendSync: %v", err)
			}
			reqs := s.wecom.requests()[before:]
			want := checkSplit(t, tt.content, tt.limit)
			if len(reqs) != len(want) || len(want) < 2 {
				t.Fatalf("got %d messages, want %d (>1)", len(reqs), len(want))
			}
			var joined strings.Builder
			for i, r := range reqs {
				body, _ := r.Body[tt.kind].(map[string]any)
				content, _ := body["content"].(string)
				if content != want[i] || len(content) > tt.limit {
					t.Errorf("part %d: %d bytes, not the expected part", i, len(content))
				}
				_, mentions := body["mentioned_list"]
				if mentions != (i == 0 && tt.kind == "text") {
					t.Errorf("part %d: mentioned_list present = %v", i, mentions)
				}
				joined.WriteString(content)
			}
			if joined.String() != tt.content {
				t.Error("received parts do not add up to the content")
			}
		})
	}
}
