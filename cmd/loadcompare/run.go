package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Targets of the comparison: the shipped server keeps at least minRPS of
// the probe's requests per second at no more than maxCPU of its CPU per
// request.
const (
	minRPS = 0.80
	maxCPU = 1.30
)

// run parses flags and either serves the probe (-probe) or runs the whole
// comparison, printing the table to stdout.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadcompare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	repo := fs.String("repo", ".", "repository root (config files, ./cmd/server)")
	rounds := fs.Int("rounds", 6, "measured rounds per side and profile")
	dur := fs.Duration("duration", 4*time.Second, "length of one round")
	conns := fs.Int("conns", 50, "concurrent keep-alive connections")
	tool := fs.String("load", "auto", "load generator: auto (wrk if installed), wrk or go")
	only := fs.String("profiles", "", "comma-separated profiles to run: test, test/json, uat, prod (the default, all four), diag/warn, diag/notmo")
	strict := fs.Bool("strict", false, "exit non-zero when a profile misses a target")
	probe := fs.String("probe", "", "internal: serve the bare Gin probe on this address")
	zone := fs.String("zone", "Asia/Shanghai", "internal: the probe's time zone")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *probe != "" {
		ln, err := net.Listen("tcp", *probe)
		if err != nil {
			return err
		}
		return serveProbe(ctx, ln, *zone)
	}
	drive, name, err := pickDriver(*tool)
	if err != nil {
		return err
	}
	profs, err := selectProfiles(*only)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "loadcompare-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	fmt.Fprintf(stderr, "building cmd/server…\n")
	server := filepath.Join(work, "server")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", server, "./cmd/server")
	build.Dir, build.Env = *repo, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build server: %w: %s", err, out)
	}
	bare, err := startProbe(ctx, work)
	if err != nil {
		return err
	}
	defer bare.stop()

	fmt.Fprintf(stdout, "/demo/hello over loopback: %s, %d connections, %d rounds × %s per side, alternating; GOMAXPROCS %d\n",
		name, *conns, *rounds, *dur, runtime.GOMAXPROCS(0))
	fmt.Fprintf(stdout, "each process runs in a temp dir of its own: stdout to stdout.log there, log files in log/\n\n")
	t := newTable(stdout)
	var missed []string
	for _, p := range profs {
		full, err := startServer(ctx, server, *repo, work, p)
		if err != nil {
			return err
		}
		res, err := compare(ctx, drive, bare, full, *conns, *rounds, *dur)
		full.stop()
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		if !t.row(p, res) {
			missed = append(missed, p.name)
		}
	}
	if len(missed) > 0 && *strict {
		return fmt.Errorf("targets (>= %.2fx rps, <= %.2fx CPU) missed by %s", minRPS, maxCPU, strings.Join(missed, ", "))
	}
	return nil
}

func pickDriver(tool string) (driver, string, error) {
	switch tool {
	case "auto", "wrk":
		if p, err := exec.LookPath("wrk"); err == nil {
			return wrkDriver(p), "wrk -t2", nil
		} else if tool == "wrk" {
			return nil, "", err
		}
		return goDriver, "built-in Go client", nil
	case "go":
		return goDriver, "built-in Go client", nil
	}
	return nil, "", errors.New("-load: want auto, wrk or go")
}
