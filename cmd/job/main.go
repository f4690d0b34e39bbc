// Command job is gomicro's XXL-JOB executor: xxl-job-admin triggers its
// tasks over HTTP. It takes its config like cmd/server (-config PATH,
// APP_CONFIG, APP_ENV, APP_* overrides) and exits 2 on invalid config.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"gomicro/app/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "job:", err)
		if errors.Is(err, config.ErrInvalid) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
