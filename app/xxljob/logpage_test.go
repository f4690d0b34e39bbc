package xxljob

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestReadPageStreams asks for the last page of a 32 MB log: what is
// allocated meanwhile stays near one page, far below the file's size, so
// parallel reads of big logs cost pages, not files.
func TestReadPageStreams(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.log")
	line := strings.Repeat("z", 99) + "\n"
	const lines = 320000 // 32 MB
	if err := os.WriteFile(path, bytes.Repeat([]byte(line), lines), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	p, err := readPage(f, lines-9, 1000, maxPageBytes, false)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if p.to != lines || len(p.text) != 10*len(line) || !p.end {
		t.Fatalf("last page: to %d, %d bytes, end %v", p.to, len(p.text), p.end)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 4<<20 {
		t.Errorf("reading the last page of 32 MB allocated %d bytes", got)
	}
}

// FuzzReadPage pages through arbitrary content with small caps: each page
// keeps to them, line numbers follow on, and the pages put together are the
// content, except that a line longer than a page comes cut.
func FuzzReadPage(f *testing.F) {
	for _, seed := range []string{
		"", "\n", "a", "a\n", "a\nb", "a\r\nb\r\n", "\n\n\n", "abcdefghijklmnop\nq\n",
		"é\nèèèèèèèèèèèèèèè\n", strings.Repeat("x", 40) + "\nend",
	} {
		f.Add(seed, uint8(2), uint8(8), false)
	}
	f.Add("a\nb\npartial", uint8(1), uint8(8), true)
	f.Fuzz(func(t *testing.T, content string, lines, size uint8, live bool) {
		maxLines, maxBytes := int(lines%8)+1, int(size%32)+len(cutMark)+1
		var got strings.Builder
		from := 1
		for range len(content) + 2 {
			p, err := readPage(strings.NewReader(content), from, maxLines, maxBytes, live)
			if err != nil {
				t.Fatal(err)
			}
			n := strings.Count(string(p.text), "\n")
			if len(p.text) > 0 && !bytes.HasSuffix(p.text, []byte("\n")) {
				n++
			}
			if len(p.text) > maxBytes || n > maxLines || len(p.text) > 0 && p.to != from+n-1 {
				t.Fatalf("from %d: %d bytes, %d lines, to %d (caps %d lines, %d bytes)", from, len(p.text), n, p.to, maxLines, maxBytes)
			}
			got.Write(p.text)
			if len(p.text) == 0 {
				if p.lines >= from {
					t.Fatalf("from %d: empty page, yet %d lines", from, p.lines)
				}
				break
			}
			if p.end {
				break
			}
			from = p.to + 1
		}
		want := content
		if live && !strings.HasSuffix(content, "\n") {
			want = content[:strings.LastIndex(content, "\n")+1] // the line being written waits
		}
		var long bool
		for _, l := range strings.SplitAfter(want, "\n") {
			long = long || len(l) > maxBytes
		}
		if !long && got.String() != want {
			t.Fatalf("pages give %q, want %q", got.String(), want)
		}
	})
}
