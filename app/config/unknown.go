package config

import (
	"reflect"
	"slices"
	"strings"
)

// unknownKeys describes every key of layer (flat koanf keys) that lies in
// a section gomicro owns — a field of Config — yet names no field there
// (names are matched exactly),
// e.g. "server.prot: unknown key (did you mean server.port?)". Such a key
// is a typo: the decoder would drop it and the default would silently
// stay. Entries of map sections (databases.<name>, robot templates) are
// checked against their element struct. Unknown top-level sections are
// reported (a dataId is often shared with other services) unless they
// differ from one of gomicro's only in case.
func unknownKeys(layer map[string]any) []string {
	var msgs []string
	for key := range layer {
		if msg := unknownKey(key); msg != "" && !slices.Contains(msgs, msg) {
			msgs = append(msgs, msg)
		}
	}
	slices.Sort(msgs)
	return msgs
}

// unknownKey walks key down the Config struct and describes the first
// segment no field takes, or returns "" when every segment is taken (or
// the walk reaches a value, whose type the decoder checks).
func unknownKey(key string) string {
	segs := strings.Split(key, ".")
	t := reflect.TypeFor[Config]()
	for i, seg := range segs {
		switch {
		case isSection(t):
			f, ok := fieldFor(t, seg)
			if ok {
				t = f.Type
				continue
			}
			if _, folded := fieldFolded(t, seg); i == 0 && !folded {
				return ""
			}
			msg := strings.Join(segs[:i+1], ".") + ": unknown key"
			if near := nearest(seg, fieldKeys(t)); near != "" {
				msg += " (did you mean " + strings.Join(append(slices.Clone(segs[:i]), near), ".") + "?)"
			}
			return msg
		case t.Kind() == reflect.Map:
			t = t.Elem() // seg names the entry
		default:
			return ""
		}
	}
	return ""
}

// unknownSections lists the top-level keys of the flat keys that are not
// sections of Config, sorted.
func unknownSections(keys []string) []string {
	var out []string
	for _, key := range keys {
		top, _, _ := strings.Cut(key, ".")
		if _, ok := fieldFor(reflect.TypeFor[Config](), top); !ok && !slices.Contains(out, top) {
			out = append(out, top)
		}
	}
	slices.Sort(out)
	return out
}

// isSection reports whether t holds keys of its own (a struct other than
// a time value).
func isSection(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && t.PkgPath() != "time"
}

// fieldFor finds the field of struct t named key exactly. The decoder
// would also take a key differing in case, but only when the exact one is
// absent, and the defaults layer holds most exact ones: "server.Port"
// loses to the default server.port, so it is reported as unknown.
func fieldFor(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); koanfName(f) == key && key != "" {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// fieldFolded is fieldFor regardless of case: a top-level key matching a
// section but for case is a mistake, not another service's section.
func fieldFolded(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); koanfName(f) != "" && strings.EqualFold(koanfName(f), key) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// fieldKeys lists the koanf names of the fields of struct t.
func fieldKeys(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		if name := koanfName(t.Field(i)); name != "" {
			out = append(out, name)
		}
	}
	return out
}

// koanfName is the key a field is decoded from, "" for none.
func koanfName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("koanf"), ",")
	if !f.IsExported() || name == "-" {
		return ""
	}
	if name == "" {
		return f.Name
	}
	return name
}

// nearest returns the candidate closest to word when it is close enough to
// be the intended key (at most one edit per three characters, at least
// one), else "". Ties go to the earlier candidate.
func nearest(word string, candidates []string) string {
	word = strings.ToLower(word)
	best, bestDist := "", max(1, len(word)/3)+1
	for _, c := range candidates {
		if d := editDistance(word, strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b in
// bytes: insertions, deletions, substitutions and swaps of neighbours each
// cost one, so "prot" is one edit from "port".
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
