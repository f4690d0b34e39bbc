package demo

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// cursorPrefix versions the cursor format so it can change without
// misreading cursors that clients still hold.
const cursorPrefix = "v1:"

// encodeCursor returns the opaque cursor that continues after id.
func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(id, 10)))
}

// decodeCursor returns the id a cursor continues after. It returns an error
// ErrBadCursor for anything encodeCursor did not produce.
func decodeCursor(s string) (int64, error) {
	// Strict: a cursor has one spelling, so trailing bits must be zero.
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return 0, ErrBadCursor
	}
	digits, ok := strings.CutPrefix(string(raw), cursorPrefix)
	if !ok {
		return 0, ErrBadCursor
	}
	id, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || id < 1 || strconv.FormatInt(id, 10) != digits {
		return 0, ErrBadCursor
	}
	return id, nil
}
