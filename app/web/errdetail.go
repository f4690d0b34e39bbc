package web

import (
	"fmt"
	"reflect"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
)

// Bounds of an error answer, whatever the request: huma reports one detail
// per offending field and may attach the whole parsed body as each one's
// value, so copying them as they come makes the answer grow with the square
// of the input.
const (
	maxDetails    = 20  // details listed; the message counts the rest
	maxValueBytes = 64  // prefix of an echoed string value
	maxTextBytes  = 256 // prefix of a detail's location and message
)

// details collects at most maxDetails bounded copies of the details it is
// given and counts the ones it leaves out.
type details struct {
	list    []*huma.ErrorDetail
	omitted int
}

func (d *details) add(e *huma.ErrorDetail) {
	if e == nil {
		return
	}
	if len(d.list) == maxDetails {
		d.omitted++
		return
	}
	d.list = append(d.list, &huma.ErrorDetail{
		Message:  clip(e.Message, maxTextBytes),
		Location: clip(e.Location, maxTextBytes),
		Value:    echo(e.Value),
	})
}

// note returns msg with the count of details left out, if any.
func (d *details) note(msg string) string {
	if d.omitted == 0 {
		return msg
	}
	return fmt.Sprintf("%s (first %d of %d errors listed)", msg, len(d.list), len(d.list)+d.omitted)
}

// echo returns what of an offending value is sent back: scalars as they
// are, strings cut to a short prefix, objects and arrays not at all (they
// can be the whole request body).
func echo(v any) any {
	if v == nil {
		return nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return v
	case reflect.String:
		if s := rv.String(); len(s) > maxValueBytes {
			return clip(s, maxValueBytes)
		}
		return v
	default:
		return nil
	}
}

// clip returns s cut to at most n bytes on a rune boundary, marked with an
// ellipsis when cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
