package wechat

import (
	"bytes"
	"fmt"
	"strings"
	"unsafe"
)

// Field is one leaf element of a message: its path below the root
// ("Content", "ScanCodeInfo.ScanType") and its text.
type Field struct {
	Name  string
	Value string
}

// maxDepth bounds nesting below the root; WeChat's deepest block,
// SendPicsInfo.PicList.item.PicMd5Sum, is four.
const maxDepth = 8

// DecodeFields reads WeChat's one XML shape: a root element holding leaf
// elements and blocks of them, with text, CDATA, the five predefined
// entities and character references. It returns every leaf in document
// order. It is stricter than XML: no attributes, namespaces, processing
// instructions (but a leading XML declaration), mixed content or non-ASCII
// names. Errors wrap ErrDoctype for a DOCTYPE or entity declaration and
// ErrMalformed for anything else it does not accept.
//
// The fields share body's memory instead of copying it (the copy cost more
// than the scan): body must not change once decoded.
func DecodeFields(body []byte) ([]Field, error) {
	d := scanner{s: unsafe.String(unsafe.SliceData(body), len(body)), fields: make([]Field, 0, bytes.Count(body, []byte{'<'})/2+1)}
	if err := d.document(); err != nil {
		return nil, err
	}
	return d.fields, nil
}

type scanner struct {
	s      string
	i      int
	fields []Field
}

func (d *scanner) fail(what string) error {
	return fmt.Errorf("%w: %s at byte %d", ErrMalformed, what, d.i)
}

func (d *scanner) document() error {
	if strings.HasPrefix(d.s, "<?xml") {
		if err := d.declaration(); err != nil {
			return err
		}
	}
	if err := d.misc(); err != nil {
		return err
	}
	if d.i >= len(d.s) {
		return d.fail("no root element")
	}
	name, empty, err := d.startTag()
	if err != nil {
		return err
	}
	if !empty {
		if err := d.content(name, "", 0); err != nil {
			return err
		}
	}
	if err := d.misc(); err != nil {
		return err
	}
	if d.i != len(d.s) {
		return d.fail("content after the root element")
	}
	return nil
}

// misc skips whitespace and comments outside the root; it stops at the
// next '<' that starts anything else, or at the end.
func (d *scanner) misc() error {
	for {
		d.skipSpace()
		if !strings.HasPrefix(d.s[d.i:], "<!") {
			if d.i < len(d.s) && d.s[d.i] != '<' {
				return d.fail("text outside the root element")
			}
			return nil
		}
		if err := d.bang(); err != nil {
			return err
		}
	}
}

// bang handles "<!" markup: a comment is skipped, a DOCTYPE or ENTITY is
// refused as such, anything else (CDATA included) is refused here.
func (d *scanner) bang() error {
	rest := d.s[d.i:]
	switch {
	case strings.HasPrefix(rest, "<!--"):
		end := strings.Index(rest[4:], "--")
		if end < 0 {
			return d.fail("unterminated comment")
		}
		if !strings.HasPrefix(rest[4+end:], "-->") {
			return d.fail(`"--" inside a comment`)
		}
		d.i += 4 + end + 3
		return nil
	case strings.HasPrefix(rest, "<!DOCTYPE"), strings.HasPrefix(rest, "<!ENTITY"):
		return ErrDoctype
	default:
		return d.fail("unexpected <!")
	}
}

// declaration accepts <?xml version="1.0" encoding="UTF-8" standalone=".."?>
// with its attributes in that order, each optional but version.
func (d *scanner) declaration() error {
	end := strings.Index(d.s, "?>")
	if end < 0 {
		return d.fail("unterminated XML declaration")
	}
	rest := d.s[len("<?xml"):end]
	for _, attr := range []string{"version", "encoding", "standalone"} {
		trimmed := strings.TrimLeft(rest, " \t\r\n")
		if len(trimmed) == len(rest) || !strings.HasPrefix(trimmed, attr+"=") {
			if attr == "version" {
				return d.fail("XML declaration without version")
			}
			continue
		}
		v := trimmed[len(attr)+1:]
		if len(v) < 2 || (v[0] != '"' && v[0] != '\'') {
			return d.fail("unquoted declaration attribute")
		}
		close := strings.IndexByte(v[1:], v[0])
		if close < 0 {
			return d.fail("unterminated declaration attribute")
		}
		val := v[1 : 1+close]
		ok := attr == "version" && val == "1.0" ||
			attr == "encoding" && strings.EqualFold(val, "utf-8") ||
			attr == "standalone" && (val == "yes" || val == "no")
		if !ok {
			return d.fail("unsupported XML declaration " + attr)
		}
		rest = v[2+close:]
	}
	if strings.TrimLeft(rest, " \t\r\n") != "" {
		return d.fail("unexpected XML declaration content")
	}
	d.i = end + 2
	return nil
}

func (d *scanner) skipSpace() {
	for d.i < len(d.s) && isSpace(d.s[d.i]) {
		d.i++
	}
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// Bit c of nameStart (and nameRest) is set when ASCII byte c may start
// (continue) an element name: [A-Za-z_] then [A-Za-z0-9_.-].
const (
	nameStartLo = 0
	nameStartHi = 0x07fffffe87fffffe // A-Z, _, a-z
	nameRestLo  = 0x03ff600000000000 // - . 0-9
	nameRestHi  = nameStartHi
)

func isNameByte(c byte, first bool) bool {
	switch {
	case c >= 128:
		return false
	case c >= 64:
		return nameStartHi>>(c-64)&1 == 1
	case first:
		return nameStartLo>>c&1 == 1
	default:
		return nameRestLo>>c&1 == 1
	}
}

// name reads an ASCII element name.
func (d *scanner) name() (string, error) {
	start := d.i
	for d.i < len(d.s) && isNameByte(d.s[d.i], d.i == start) {
		d.i++
	}
	if d.i == start {
		return "", d.fail("bad element name")
	}
	return d.s[start:d.i], nil
}

// endTag reads "</name>" (blanks allowed before '>') after "</", checking
// it closes name.
func (d *scanner) endTag(name string) error {
	rest := d.s[d.i:]
	if !strings.HasPrefix(rest, name) || len(rest) > len(name) && isNameByte(rest[len(name)], false) {
		return d.fail("end tag does not match " + name)
	}
	d.i += len(name)
	d.skipSpace()
	if d.i >= len(d.s) || d.s[d.i] != '>' {
		return d.fail("broken end tag of " + name)
	}
	d.i++
	return nil
}

// startTag reads "<name>" or "<name/>" with optional blanks before the end.
func (d *scanner) startTag() (name string, empty bool, err error) {
	d.i++ // '<'
	if name, err = d.name(); err != nil {
		return "", false, err
	}
	d.skipSpace()
	switch {
	case strings.HasPrefix(d.s[d.i:], "/>"):
		d.i += 2
		return name, true, nil
	case d.i < len(d.s) && d.s[d.i] == '>':
		d.i++
		return name, false, nil
	default:
		return "", false, d.fail("attributes or a broken start tag")
	}
}

// content reads what follows the start tag of element name (at path, ""
// for the root) through its end tag. An element holding elements is a
// block and may hold whitespace only besides them; any other is a leaf
// whose text becomes a Field.
func (d *scanner) content(name, path string, depth int) error {
	var text textBuf
	block := false
	for {
		if block || path == "" {
			// Text here may only be blank and is dropped: skip it.
			d.skipSpace()
		}
		lt := strings.IndexByte(d.s[d.i:], '<')
		if lt < 0 {
			d.i = len(d.s)
			return d.fail("unclosed element " + name)
		}
		if lt > 0 {
			if err := text.addText(d, d.s[d.i:d.i+lt]); err != nil {
				return err
			}
			d.i += lt
		}
		rest := d.s[d.i:]
		if len(rest) < 2 {
			return d.fail("unclosed element " + name)
		}
		switch rest[1] {
		case '/':
			d.i += 2
			if err := d.endTag(name); err != nil {
				return err
			}
			return d.finish(path, block, &text)
		case '!':
			if !strings.HasPrefix(rest, "<![CDATA[") {
				if err := d.bang(); err != nil {
					return err
				}
				continue
			}
			end := strings.Index(rest[9:], "]]>")
			if end < 0 {
				return d.fail("unterminated CDATA")
			}
			if err := text.addCDATA(d, rest[9:9+end]); err != nil {
				return err
			}
			d.i += 9 + end + 3
		case '?':
			return d.fail("processing instruction")
		default:
			if !text.blank() {
				return d.fail("text mixed with elements in " + name)
			}
			text.reset()
			block = true
			if depth == maxDepth {
				return d.fail("nested too deep")
			}
			child, empty, err := d.startTag()
			if err != nil {
				return err
			}
			childPath := child
			if path != "" {
				childPath = path + "." + child
			}
			if empty {
				d.fields = append(d.fields, Field{Name: childPath})
				continue
			}
			if d.leaf(child, childPath) {
				continue
			}
			if err := d.content(child, childPath, depth+1); err != nil {
				return err
			}
		}
	}
}

// leaf is the fast path of the usual element, <Name>text</Name> or
// <Name><![CDATA[text]]></Name> with nothing to decode: it reads it whole
// and reports true, or touches nothing and reports false, leaving the rest
// (and any error) to content.
func (d *scanner) leaf(name, path string) bool {
	rest := d.s[d.i:]
	var val string
	var n int
	if strings.HasPrefix(rest, "<![CDATA[") {
		end := strings.Index(rest[9:], "]]>")
		if end < 0 {
			return false
		}
		val, n = rest[9:9+end], 9+end+3
		if clean, err := scanChars(val, false); err != nil || !clean {
			return false
		}
	} else {
		lt := strings.IndexByte(rest, '<')
		if lt < 0 {
			return false
		}
		val, n = rest[:lt], lt
		if clean, err := scanChars(val, true); err != nil || !clean {
			return false
		}
	}
	after := rest[n:] // after CDATA anything may follow: check the '<' too
	if len(after) < len(name)+3 || after[0] != '<' || after[1] != '/' || after[2+len(name)] != '>' || after[2:2+len(name)] != name {
		return false
	}
	d.i += n + len(name) + 3
	d.fields = append(d.fields, Field{Name: path, Value: val})
	return true
}

func (d *scanner) finish(path string, block bool, text *textBuf) error {
	switch {
	case block || path == "":
		if !text.blank() {
			return d.fail("text beside elements")
		}
	default:
		d.fields = append(d.fields, Field{Name: path, Value: text.value()})
	}
	return nil
}
