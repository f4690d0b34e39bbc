package wecom

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// WeCom's content limits, in UTF-8 bytes.
const (
	TextLimit     = 2048
	MarkdownLimit = 4096
)

// Split cuts s into parts of at most limit bytes, in order, never inside a
// UTF-8 character. It cuts after a newline when that keeps at least half
// the limit in the part, else as late as the limit allows. It never makes a
// part of only whitespace, which WeCom shows as an empty message or
// refuses, unless s is all whitespace or holds a run of it about half the
// limit long. Joining the parts gives back s (with invalid UTF-8 replaced
// by U+FFFD, as JSON would send it). It returns nil for an empty s.
func Split(s string, limit int) []string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if limit < utf8.UTFMax {
		limit = utf8.UTFMax // a part must hold at least one character
	}
	// last is where the last non-space character starts: cutting after it
	// would leave a part of trailing whitespace alone.
	last := strings.LastIndexFunc(s, notSpace)
	var parts []string
	for len(s) > limit {
		hi := limit
		if last > 0 && last < hi {
			hi = last
		}
		parts = append(parts, s[:cut(s, hi, limit)])
		n := len(parts[len(parts)-1])
		s = s[n:]
		last -= n
	}
	if s != "" {
		parts = append(parts, s)
	}
	return parts
}

// cut returns where to end the next part of s, at most hi bytes in: after
// the last newline if that keeps at least half of limit and more than
// whitespace, else at the last character boundary.
func cut(s string, hi, limit int) int {
	if nl := strings.LastIndexByte(s[:hi], '\n') + 1; nl >= limit/2 && strings.IndexFunc(s[:nl], notSpace) >= 0 {
		return nl
	}
	for hi > 0 && !utf8.RuneStart(s[hi]) {
		hi--
	}
	return hi
}

func notSpace(r rune) bool { return !unicode.IsSpace(r) }
