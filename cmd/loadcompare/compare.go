package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"
)

// side sums one process's rounds.
type side struct {
	requests int64
	seconds  float64
	cpu      float64
	timeouts int64
}

func (s side) rps() float64 { return float64(s.requests) / s.seconds }

// cpuPer100k is CPU-seconds per 100,000 requests.
func (s side) cpuPer100k() float64 { return s.cpu / float64(s.requests) * 1e5 }

func (s side) add(o side) side {
	return side{s.requests + o.requests, s.seconds + o.seconds, s.cpu + o.cpu, s.timeouts + o.timeouts}
}

// result is a profile's comparison: totals per side and the per-round
// ratios (full/bare of adjacent rounds), whose spread shows the noise.
type result struct {
	bare, full side
	rpsR, cpuR []float64
}

// measure drives p for d and returns what it served and the CPU it used.
func measure(ctx context.Context, drive driver, p *proc, conns int, d time.Duration) (side, error) {
	c0, err := cpuSeconds(p.pid())
	if err != nil {
		return side{}, err
	}
	n, took, timeouts, err := drive(ctx, p.url, conns, d)
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
	return side{requests: n, seconds: took.Seconds(), cpu: c1 - c0, timeouts: timeouts}, nil
}

// compare warms both up, then runs rounds alternating which goes first
// (bare-full, full-bare, …), so drift on a shared machine falls on both
// sides alike.
func compare(ctx context.Context, drive driver, bare, full *proc, conns, rounds int, d time.Duration) (result, error) {
	for _, p := range []*proc{bare, full} {
		if _, err := measure(ctx, drive, p, conns, time.Second); err != nil {
			return result{}, err
		}
	}
	var r result
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
		r.bare, r.full = r.bare.add(b), r.full.add(f)
		r.rpsR = append(r.rpsR, f.rps()/b.rps())
		r.cpuR = append(r.cpuR, f.cpuPer100k()/b.cpuPer100k())
	}
	return r, nil
}

// spread is "median (min-max)" of per-round ratios.
func spread(v []float64) string {
	s := slices.Clone(v)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return fmt.Sprintf("%.2f (%.2f-%.2f)", med, s[0], s[len(s)-1])
}

// table prints one row per profile.
type table struct{ w io.Writer }

func newTable(w io.Writer) *table {
	fmt.Fprintf(w, "%-10s %-26s %9s %9s %5s %-18s %8s %8s %5s %-18s %s\n",
		"profile", "log output", "bare rps", "full rps", "ratio", "rounds: median", "bare CPU", "full CPU", "ratio", "rounds: median", "verdict")
	fmt.Fprintf(w, "%-10s %-26s %9s %9s %5s %-18s %8s %8s %5s %-18s\n", "", "", "", "", "", "(min-max)", "s/100k", "s/100k", "", "(min-max)")
	return &table{w: w}
}

// row prints p's result and reports whether both targets were met by the
// totals.
func (t *table) row(p profile, r result) bool {
	rr := r.full.rps() / r.bare.rps()
	cr := r.full.cpuPer100k() / r.bare.cpuPer100k()
	ok := rr >= minRPS && cr <= maxCPU
	verdict := "ok"
	if !ok {
		verdict = fmt.Sprintf("MISS (want >= %.2f, <= %.2f)", minRPS, maxCPU)
	}
	if n := r.bare.timeouts + r.full.timeouts; n > 0 {
		verdict += fmt.Sprintf("; wrk timeouts: bare %d, full %d", r.bare.timeouts, r.full.timeouts)
	}
	fmt.Fprintf(t.w, "%-10s %-26s %9.0f %9.0f %5.2f %-18s %8.2f %8.2f %5.2f %-18s %s\n",
		p.name, p.output, r.bare.rps(), r.full.rps(), rr, spread(r.rpsR),
		r.bare.cpuPer100k(), r.full.cpuPer100k(), cr, spread(r.cpuR), verdict)
	return ok
}
