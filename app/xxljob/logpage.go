package xxljob

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// maxPageBytes caps the log text of one /log answer.
const maxPageBytes = 1 << 20

// cutMark ends a line that alone is longer than a page: it is sent cut,
// as one line, so line numbers stay those of the file.
var cutMark = fmt.Sprintf(" [line cut: over %d bytes]\n", maxPageBytes)

// logPage is one /log answer's share of a run log.
type logPage struct {
	text  []byte
	to    int  // number of the last line in text; 0 when text is empty
	lines int  // lines read: the file's line count when text is empty
	end   bool // the file has nothing after text (a line being written counts)
}

// readPage streams r from its start and returns the lines from line from
// (1-based) on, at most maxLines of them and at most maxBytes bytes of
// text, each with its line end exactly as in the file. While live, a last
// line without '\n' is still being written and is left for a later page.
// Memory stays within one page and one read buffer whatever the file's
// size; a single line longer than a page is sent cut at maxBytes.
func readPage(r io.Reader, from, maxLines, maxBytes int, live bool) (logPage, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var buf bytes.Buffer
	n := 0        // lines read to their end
	start := 0    // where the line being read begins in buf
	mid := false  // part of that line has been read
	over := false // that line has outgrown the page
	end := false
	for {
		frag, err := br.ReadSlice('\n')
		atEOF := errors.Is(err, io.EOF)
		if err != nil && !atEOF && !errors.Is(err, bufio.ErrBufferFull) {
			return logPage{}, err
		}
		if atEOF && (live || len(frag) == 0 && !mid) {
			// While live, a last line without '\n' is still being written.
			buf.Truncate(start)
			end = !mid && len(frag) == 0
			break
		}
		mid = true
		if n+1 >= from && !over {
			if room := maxBytes - buf.Len(); len(frag) <= room {
				buf.Write(frag)
			} else {
				buf.Write(frag[:room])
				over = true
			}
		}
		if !atEOF && frag[len(frag)-1] != '\n' {
			continue // the same line goes on
		}
		n, mid = n+1, false
		if n < from {
			continue
		}
		if over && start > 0 {
			buf.Truncate(start) // it does not fit after the lines taken: next page
			n--
			break
		}
		if over {
			cutLine(&buf, maxBytes)
		}
		start, over = buf.Len(), false
		if atEOF {
			end = true
			break
		}
		if n-from+1 >= maxLines || buf.Len() >= maxBytes {
			_, err := br.Peek(1)
			end = errors.Is(err, io.EOF)
			break
		}
	}
	p := logPage{text: buf.Bytes(), lines: n, end: end}
	if len(p.text) > 0 {
		p.to = n
	}
	return p, nil
}

// cutLine shortens buf, holding one line over max bytes, to max bytes
// ending in cutMark, without splitting a UTF-8 sequence.
func cutLine(buf *bytes.Buffer, max int) {
	cut := max - len(cutMark)
	b := buf.Bytes()
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	buf.Truncate(cut)
	buf.WriteString(cutMark)
}
