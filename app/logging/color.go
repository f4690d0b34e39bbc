package logging

import (
	"io"

	"github.com/mattn/go-isatty"
)

// useColor reports whether console lines written to w get ANSI colours:
// only when w is a terminal, and never when NO_COLOR is set to anything
// but "" (https://no-color.org). Piped into a file, a collector or less,
// colour codes are noise.
func useColor(w io.Writer, getenv func(string) string) bool {
	if getenv != nil && getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := w.(interface{ Fd() uintptr })
	return ok && isatty.IsTerminal(f.Fd())
}
