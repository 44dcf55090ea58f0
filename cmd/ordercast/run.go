package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// ErrUsage is returned when the command line is wrong; main exits 2 after the usage was printed.
var ErrUsage = errors.New("usage error")

// Build information, set with -ldflags "-X main.version=... -X main.revision=...".
var (
	version  = "dev"
	revision = "unknown"
)

// env is what a command gets from the process: its output streams and environment.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

// command is one subcommand. run parses its own flags from args.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "serve the API, web pages, /metrics, /healthz and /readyz", runServe},
		{"migrate", "create or upgrade the PostgreSQL and ClickHouse schemas (idempotent)", runMigrate},
		{"import", "load sales history (ClickHouse) or arrival plans (PostgreSQL) from a CSV file", runImport},
		{"seed", "generate a synthetic sales region with known true demand", runSeed},
		{"forecast", "forecast demand (run) or measure accuracy on history (backtest)", runForecast},
		{"score", "score a month's forecast accuracy per outlet, brand, manager, area and company", runScore},
		{"bulletin", "print the daily bulletin: indicators per level against their targets", runBulletin},
		{"allocate", "allocate a scarce brand's supply as per-outlet limits, with explanations (preview or publish)", runAllocate},
		{"grade", "recompute outlets' grades from their purchases by the published rule (preview or publish)", runGrade},
		{"balance", "the supply–demand balance per brand and week: stock, arrivals, demand, shortfalls", runBalance},
		{"cycle", "cut off order windows, record deliveries, relay sales to the history", runCycle},
		{"user", "add users, change passwords, disable users (for administrators)", runUser},
		{"bench", "load a running server: orders at a fixed rate, scan uploads (benchmarks)", runBench},
		{"version", "print the version", runVersion},
	}
}

// Run runs the ordercast command line args (without the program name).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	e := env{stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) == 0 {
		usage(stderr)
		return ErrUsage
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" || name == "-help" {
		if len(args) > 1 {
			return Run(ctx, []string{args[1], "-h"}, stdout, stderr, getenv)
		}
		usage(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(stderr, "ordercast: unknown command %q\n\n", name)
	usage(stderr)
	return ErrUsage
}

func usage(w io.Writer) {
	cmds := commands()
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	var b strings.Builder
	b.WriteString("ordercast: retail terminal ordering and demand forecasting.\n\nUsage:\n  ordercast <command> [flags]\n\nCommands:\n")
	for _, c := range cmds {
		fmt.Fprintf(&b, "  %-10s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun `ordercast <command> -h` for a command's flags. Every flag can also be set with the\nORDERCAST_* environment variable named in its help.\n")
	io.WriteString(w, b.String())
}

// parseFlags parses args into fs, printing usage to e.stderr on error. It returns flag.ErrHelp for -h
// (after printing the usage to stdout) and ErrUsage for anything else wrong.
func parseFlags(fs *flag.FlagSet, e env, summary string, args []string) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		printFlags(e.stdout, fs, summary)
		return flag.ErrHelp
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "ordercast %s: %v\n\n", fs.Name(), err)
		printFlags(e.stderr, fs, summary)
		return ErrUsage
	}
	return nil
}

func printFlags(w io.Writer, fs *flag.FlagSet, summary string) {
	fmt.Fprintf(w, "Usage: ordercast %s [flags]\n\n%s\n\nFlags:\n", fs.Name(), summary)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

func runVersion(_ context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if err := parseFlags(fs, e, "Prints the version and revision of this binary.", args); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "ordercast %s (%s)\n", version, revision)
	return nil
}

// subcommands is a command group whose first word picks the subcommand, e.g. `import history`.
type subcommands struct {
	group   string // the command's name
	missing string // what to say when no subcommand is given
	unknown string // what to call an unknown word, e.g. "unknown subcommand"
	subs    []command
	usage   func(io.Writer)
}

// run runs the subcommand args[0]: no word or an unknown one is a usage error, -h prints the usage.
func (g subcommands) run(ctx context.Context, e env, args []string) error {
	group, subs, usage := g.group, g.subs, g.usage
	if len(args) == 0 {
		fmt.Fprintf(e.stderr, "ordercast %s: %s\n", group, g.missing)
		usage(e.stderr)
		return ErrUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(e.stdout)
		return flag.ErrHelp
	}
	for _, c := range subs {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(e.stderr, "ordercast %s: %s %q\n", group, g.unknown, args[0])
	usage(e.stderr)
	return ErrUsage
}
