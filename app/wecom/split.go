package wecom

import (
	"strings"
	"unicode/utf8"
)

// WeCom's content limits, in UTF-8 bytes.
const (
	TextLimit     = 2048
	MarkdownLimit = 4096
)

// Split cuts s into parts of at most limit bytes, in order, preferring to
// cut after a newline and never inside a UTF-8 character. Joining the parts
// gives back s (with invalid UTF-8 replaced by U+FFFD, as JSON would send
// it). It returns nil for an empty s.
func Split(s string, limit int) []string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if limit < utf8.UTFMax {
		limit = utf8.UTFMax // a part must hold at least one character
	}
	var parts []string
	for len(s) > limit {
		cut := strings.LastIndexByte(s[:limit], '\n') + 1
		if cut == 0 {
			cut = limit
			for cut > 0 && !utf8.RuneStart(s[cut]) {
				cut--
			}
		}
		parts = append(parts, s[:cut])
		s = s[cut:]
	}
	if s != "" {
		parts = append(parts, s)
	}
	return parts
}
