// Command ordercast is the retail terminal ordering and demand forecasting service: one binary whose
// subcommands serve the API and pages, migrate both stores, and run the batch jobs.
//
// main only turns signals into a context and errors into exit codes; Run does the work so that tests
// can call it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // order windows follow the region's time zone, whatever the machine has installed
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, a second one kills the process the default way.
		<-ctx.Done()
		stop()
	}()
	err := Run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, ErrUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "ordercast:", err)
		os.Exit(1)
	}
}
