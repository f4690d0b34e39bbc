package wecom

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
)

// stackLines is how many frames of the stack ErrorText shows, like the
// Python template's 15 lines of traceback.
const stackLines = 15

// ErrorText describes err for a message: its text, each distinct cause in
// its chain (including every branch of errors.Join), and the top frames of
// the stack above the caller skip levels up (1 is ErrorText's caller). Go
// errors carry no stack, so the stack is the reporting site's.
func ErrorText(err error, skip int) string {
	var b strings.Builder
	if err == nil {
		b.WriteString("error: <nil>")
	} else {
		fmt.Fprintf(&b, "error: %s", err)
		seen := map[string]bool{err.Error(): true}
		walkCauses(err, func(e error) {
			if msg := e.Error(); !seen[msg] {
				seen[msg] = true
				fmt.Fprintf(&b, "\ncaused by: %s (%T)", msg, e)
			}
		})
	}
	pcs := make([]uintptr, stackLines)
	n := runtime.Callers(skip+1, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	b.WriteString("\nstack:")
	for {
		f, more := frames.Next()
		fmt.Fprintf(&b, "\n%s\n\t%s:%d", f.Function, f.File, f.Line)
		if !more {
			break
		}
	}
	return b.String()
}

func walkCauses(err error, fn func(error)) {
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			fn(e)
			walkCauses(e, fn)
		}
	default:
		if e := errors.Unwrap(err); e != nil {
			fn(e)
			walkCauses(e, fn)
		}
	}
}
