package wechat

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// textBuf gathers a leaf's text. A single clean piece (no entity, no CR) is
// kept as a slice of the body, so the common case copies nothing.
type textBuf struct {
	one    string
	pieces int
	buf    []byte
}

func (t *textBuf) reset() { *t = textBuf{} }

func (t *textBuf) value() string {
	if t.buf != nil {
		return string(t.buf)
	}
	return t.one
}

func (t *textBuf) blank() bool {
	if t.buf != nil {
		for _, c := range t.buf {
			if !isSpace(c) {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(t.one); i++ {
		if !isSpace(t.one[i]) {
			return false
		}
	}
	return true
}

// add appends one piece: raw as is when write is nil, else what write
// appends. Pieces after the first, and unclean ones, go through buf.
func (t *textBuf) add(raw string, write func([]byte) []byte) {
	t.pieces++
	if write == nil && t.pieces == 1 {
		t.one = raw
		return
	}
	if t.buf == nil {
		t.buf = make([]byte, 0, len(t.one)+len(raw)+8)
		t.buf = append(t.buf, t.one...)
	}
	if write == nil {
		t.buf = append(t.buf, raw...)
		return
	}
	t.buf = write(t.buf)
}

// addText decodes character data: entities, line ends, checked characters.
func (t *textBuf) addText(d *scanner, raw string) error {
	clean, err := scanChars(raw, true)
	if err != nil {
		return d.fail(err.Error())
	}
	if clean {
		t.add(raw, nil)
		return nil
	}
	var werr error
	t.add(raw, func(b []byte) []byte {
		b, werr = appendText(b, raw)
		return b
	})
	if werr != nil {
		return d.fail(werr.Error())
	}
	return nil
}

// addCDATA adds a CDATA section's content, line ends normalised.
func (t *textBuf) addCDATA(d *scanner, raw string) error {
	clean, err := scanChars(raw, false)
	if err != nil {
		return d.fail(err.Error())
	}
	if clean {
		t.add(raw, nil)
		return nil
	}
	t.add(raw, func(b []byte) []byte { return appendNewlines(b, raw) })
	return nil
}

// scanChars refuses invalid UTF-8 and characters XML forbids, and in
// text (not CDATA) "]]>"; clean is false when raw holds a CR, which XML
// turns into LF, or in text an '&'. One pass: this is the hot loop.
func scanChars(raw string, text bool) (clean bool, err error) {
	clean = true
	for i := 0; i < len(raw); {
		c := raw[i]
		if c >= 0x20 && c < utf8.RuneSelf {
			switch {
			case !text:
			case c == '&':
				clean = false
			case c == ']' && strings.HasPrefix(raw[i:], "]]>"):
				return false, fmt.Errorf("]]> outside CDATA")
			}
			i++
			continue
		}
		if c < 0x20 {
			switch c {
			case '\r':
				clean = false
			case '\t', '\n':
			default:
				return false, fmt.Errorf("illegal character %U", rune(c))
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(raw[i:])
		if r == utf8.RuneError && size == 1 {
			return false, fmt.Errorf("invalid UTF-8")
		}
		if !isXMLChar(r) {
			return false, fmt.Errorf("illegal character %U", r)
		}
		i += size
	}
	return clean, nil
}

func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// appendNewlines appends raw with CR LF and lone CR turned into LF.
func appendNewlines(b []byte, raw string) []byte {
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c != '\r':
			b = append(b, c)
		case i+1 < len(raw) && raw[i+1] == '\n':
			// the LF that follows is written next
		default:
			b = append(b, '\n')
		}
	}
	return b
}

// appendText appends character data with entities replaced.
func appendText(b []byte, raw string) ([]byte, error) {
	for {
		amp := strings.IndexByte(raw, '&')
		if amp < 0 {
			return appendNewlines(b, raw), nil
		}
		b = appendNewlines(b, raw[:amp])
		semi := strings.IndexByte(raw[amp:], ';')
		if semi < 0 {
			return nil, fmt.Errorf("entity without ';'")
		}
		ent := raw[amp+1 : amp+semi]
		r, err := entity(ent)
		if err != nil {
			return nil, err
		}
		b = append(b, r...)
		raw = raw[amp+semi+1:]
	}
}

// entity resolves a predefined entity or a character reference (&#65; or
// &#x41;, lowercase x), refusing characters XML forbids.
func entity(ent string) (string, error) {
	switch ent {
	case "lt":
		return "<", nil
	case "gt":
		return ">", nil
	case "amp":
		return "&", nil
	case "apos":
		return "'", nil
	case "quot":
		return `"`, nil
	}
	digits, base := "", 10
	switch {
	case strings.HasPrefix(ent, "#x"):
		digits, base = ent[2:], 16
	case strings.HasPrefix(ent, "#"):
		digits = ent[1:]
	default:
		return "", fmt.Errorf("unknown entity &%s;", ent)
	}
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if !(c >= '0' && c <= '9' || base == 16 && (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')) {
			return "", fmt.Errorf("bad character reference &%s;", ent)
		}
	}
	n, err := strconv.ParseUint(digits, base, 64)
	if err != nil || n > utf8.MaxRune {
		return "", fmt.Errorf("bad character reference &%s;", ent)
	}
	r := rune(n)
	if !utf8.ValidRune(r) {
		r = utf8.RuneError // a surrogate reads as U+FFFD, as encoding/xml has it
	}
	if !isXMLChar(r) {
		return "", fmt.Errorf("illegal character %U", r)
	}
	return string(r), nil
}
