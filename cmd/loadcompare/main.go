// Command loadcompare measures what the shipped server costs over a bare Gin
// handler giving the same answer. It builds cmd/server, starts it once per
// env file (and log format) beside a bare Gin probe, drives both over
// loopback in alternating rounds (wrk when installed, else a built-in
// keep-alive client), and prints requests per second, CPU-seconds per 100k
// requests of each process (from /proc/<pid>/stat) and their ratios.
//
//	go run ./cmd/loadcompare -rounds 6 -duration 4s
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadcompare:", err)
		os.Exit(1)
	}
}
