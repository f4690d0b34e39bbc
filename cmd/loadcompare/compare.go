package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

// side sums one process's rounds.
type side struct {
	requests int64
	seconds  float64
	cpu      float64
}

func (s side) rps() float64 { return float64(s.requests) / s.seconds }

// cpuPer100k is CPU-seconds per 100,000 requests.
func (s side) cpuPer100k() float64 { return s.cpu / float64(s.requests) * 1e5 }

// result is a profile's comparison: totals per side and the range of the
// per-round ratios, which shows the noise.
type result struct {
	bare, full   side
	rpsLo, rpsHi float64
	cpuLo, cpuHi float64
}

// measure drives p for d and returns what it served and the CPU it used.
func measure(ctx context.Context, drive driver, p *proc, conns int, d time.Duration) (side, error) {
	c0, err := cpuSeconds(p.pid())
	if err != nil {
		return side{}, err
	}
	n, took, err := drive(ctx, p.url, conns, d)
	if err != nil {
		return side{}, fmt.Errorf("%s: %w", p.name, err)
	}
	c1, err := cpuSeconds(p.pid())
	if err != nil {
		return side{}, err
	}
	if n == 0 {
		return side{}, fmt.Errorf("%s served nothing", p.name)
	}
	return side{requests: n, seconds: took.Seconds(), cpu: c1 - c0}, nil
}

// compare warms both up, then runs rounds alternating which goes first, so
// drift on a shared machine falls on both sides alike.
func compare(ctx context.Context, drive driver, bare, full *proc, conns, rounds int, d time.Duration) (result, error) {
	for _, p := range []*proc{bare, full} {
		if _, err := measure(ctx, drive, p, conns, time.Second); err != nil {
			return result{}, err
		}
	}
	var r result
	r.rpsLo, r.cpuLo = 1e9, 1e9
	for i := range rounds {
		order := []*proc{bare, full}
		if i%2 == 1 {
			order = []*proc{full, bare}
		}
		got := map[*proc]side{}
		for _, p := range order {
			s, err := measure(ctx, drive, p, conns, d)
			if err != nil {
				return result{}, err
			}
			got[p] = s
		}
		b, f := got[bare], got[full]
		r.bare = add(r.bare, b)
		r.full = add(r.full, f)
		rr, cr := f.rps()/b.rps(), f.cpuPer100k()/b.cpuPer100k()
		r.rpsLo, r.rpsHi = min(r.rpsLo, rr), max(r.rpsHi, rr)
		r.cpuLo, r.cpuHi = min(r.cpuLo, cr), max(r.cpuHi, cr)
	}
	return r, nil
}

func add(a, b side) side {
	return side{requests: a.requests + b.requests, seconds: a.seconds + b.seconds, cpu: a.cpu + b.cpu}
}

// table prints one row per profile.
type table struct{ w io.Writer }

func newTable(w io.Writer) *table {
	fmt.Fprintf(w, "%-10s %-26s %9s %9s %-17s %10s %10s %-17s %s\n",
		"profile", "log output", "bare rps", "full rps", "rps ratio", "bare CPU", "full CPU", "CPU ratio", "verdict")
	fmt.Fprintf(w, "%-10s %-26s %9s %9s %-17s %10s %10s %-17s\n", "", "", "", "", "(round range)", "s/100k", "s/100k", "(round range)")
	return &table{w: w}
}

// row prints p's result and reports whether both targets were met.
func (t *table) row(p profile, r result) bool {
	rr := r.full.rps() / r.bare.rps()
	cr := r.full.cpuPer100k() / r.bare.cpuPer100k()
	ok := rr >= minRPS && cr <= maxCPU
	verdict := "ok"
	if !ok {
		verdict = fmt.Sprintf("MISS (want ≥ %.2f×, ≤ %.2f×)", minRPS, maxCPU)
	}
	fmt.Fprintf(t.w, "%-10s %-26s %9.0f %9.0f %-17s %10.2f %10.2f %-17s %s\n",
		p.name, p.output, r.bare.rps(), r.full.rps(),
		fmt.Sprintf("%.2f (%.2f-%.2f)", rr, r.rpsLo, r.rpsHi),
		r.bare.cpuPer100k(), r.full.cpuPer100k(),
		fmt.Sprintf("%.2f (%.2f-%.2f)", cr, r.cpuLo, r.cpuHi), verdict)
	return ok
}
