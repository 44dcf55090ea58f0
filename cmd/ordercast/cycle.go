package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/ordering"
	orderingch "github.com/ordercast/ordercast/ordering/clickhouse"
	orderingpg "github.com/ordercast/ordercast/ordering/postgres"
)

func runCycle(ctx context.Context, e env, args []string) error {
	return subcommands{group: "cycle", missing: "say what to do: close, deliver or relay", unknown: "unknown subcommand",
		subs:  []command{{"close", "", runCycleClose}, {"deliver", "", runCycleDeliver}, {"relay", "", runCycleRelay}},
		usage: cycleUsage}.run(ctx, e, args)
}

func cycleUsage(w io.Writer) {
	io.WriteString(w, "Usage: ordercast cycle <subcommand> [flags]\n\nRuns the steps of the weekly order cycle by hand "+
		"(ordercast serve runs cut-off and the relay by itself).\n\nSubcommands:\n"+
		"  close     cut off the order windows that have closed: confirm and pay their orders, fail the unpaid\n"+
		"  deliver   record that a cycle's paid orders arrived as granted\n"+
		"  relay     move delivered lines from the outbox to the sales history in ClickHouse\n\n"+
		"Run `ordercast cycle <subcommand> -h` for its flags.\n")
}

// cycleWindowFlags name a cycle by the Monday of its week and, optionally, one order day.
type cycleWindowFlags struct {
	week string
	day  string
}

func (f *cycleWindowFlags) register(fs *flag.FlagSet, weekHelp string) {
	fs.StringVar(&f.week, "week", "", weekHelp)
	fs.StringVar(&f.day, "day", "", "one order day only: mon … sun, or 1 (Monday) … 7")
}

// parse returns the cycle's Monday (zero when -week is not set) and the order day (-1 when -day is
// not set).
func (f cycleWindowFlags) parse() (time.Time, time.Weekday, error) {
	var week time.Time
	if f.week != "" {
		w, err := ordering.ParseWeek(f.week)
		if err != nil {
			return week, -1, fmt.Errorf("-week %w", err)
		}
		week = w
	}
	if f.day == "" {
		return week, -1, nil
	}
	day, err := parseWeekday(f.day)
	if err != nil {
		return week, -1, fmt.Errorf("-day %q: %w", f.day, err)
	}
	return week, day, nil
}

func parseWeekday(s string) (time.Weekday, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > 7 {
			return -1, fmt.Errorf("want 1 (Monday) to 7 (Sunday)")
		}
		return time.Weekday(n % 7), nil
	}
	s = strings.ToLower(s)
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if s == name || s == name[:3] {
			return d, nil
		}
	}
	return -1, fmt.Errorf("want mon … sun or 1 … 7")
}

func runCycleClose(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("cycle close", flag.ContinueOnError)
	var cfg storeConfig
	cfg.register(fs, e.getenv)
	var w cycleWindowFlags
	w.register(fs, "cut off this cycle's window of -day (YYYY-MM-DD, a Monday); without it, every window that has closed")
	early := fs.Bool("early", false, "with -week and -day: cut the window off now, before its closing time")
	summary := "Cuts off order windows: every submitted order is confirmed and paid by deduction from the outlet's\n" +
		"balance, or fails with the reason when the balance does not cover it. Without flags it cuts off every\n" +
		"window whose closing time has passed (what ordercast serve does every minute); a window is cut off once."
	if err := parseFlags(fs, e, summary, args); err != nil {
		return err
	}
	week, day, err := w.parse()
	if err == nil && (week.IsZero() != (day < 0)) {
		err = fmt.Errorf("-week and -day go together")
	}
	if err == nil && *early && week.IsZero() {
		err = fmt.Errorf("-early needs -week and -day")
	}
	if err := usageError(e, fs, err, cfg.validate()); err != nil {
		return err
	}
	pool, err := stores.OpenPostgres(ctx, cfg.PostgresDSN)
	if err != nil {
		return err
	}
	defer pool.Close()
	store := orderingpg.New(pool)
	now := time.Now()
	var reports []ordering.CutoffReport
	if week.IsZero() {
		reports, err = store.CloseDueWindows(ctx, now)
	} else {
		var r ordering.CutoffReport
		var closed bool
		r, closed, err = store.CloseWindow(ctx, week, day, now, *early)
		if err == nil && !closed {
			fmt.Fprintf(e.stdout, "the %s window of cycle %s is already cut off or not closed yet (use -early)\n", day, dateOf(week))
		}
		if closed {
			reports = append(reports, r)
		}
	}
	printCutoffs(e.stdout, reports)
	return err
}

func printCutoffs(w io.Writer, reports []ordering.CutoffReport) {
	if len(reports) == 0 {
		fmt.Fprintln(w, "no order window to cut off")
	}
	for _, r := range reports {
		fmt.Fprintf(w, "cycle %s, %s window (closed %s): %d paid (%s), %d failed for an insufficient balance\n",
			dateOf(r.WeekStart), r.OrderDay, r.ClosesAt.UTC().Format("2006-01-02 15:04 UTC"), r.Paid, ordering.Money(r.PaidCents), r.Failed)
	}
}

func dateOf(week time.Time) string { return week.Format(time.DateOnly) }

func runCycleDeliver(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("cycle deliver", flag.ContinueOnError)
	var cfg storeConfig
	cfg.register(fs, e.getenv)
	var w cycleWindowFlags
	w.register(fs, "the cycle, by the Monday of its week as YYYY-MM-DD (required)")
	summary := "Records that the cycle's paid orders (of one order day with -day) arrived as granted. Each delivered\n" +
		"line goes to the outbox in the same transaction, for the sales history. Deliveries short of what was\n" +
		"granted are recorded one order at a time through the API (POST /api/v1/orders/{id}/delivery)."
	if err := parseFlags(fs, e, summary, args); err != nil {
		return err
	}
	week, day, err := w.parse()
	if err == nil && week.IsZero() {
		err = fmt.Errorf("-week is required")
	}
	if err := usageError(e, fs, err, cfg.validate()); err != nil {
		return err
	}
	pool, err := stores.OpenPostgres(ctx, cfg.PostgresDSN)
	if err != nil {
		return err
	}
	defer pool.Close()
	orders, lines, err := orderingpg.New(pool).DeliverCycle(ctx, week, day, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "cycle %s: delivered %d orders, %d lines; they reach the sales history through the outbox\n",
		dateOf(week), orders, lines)
	return nil
}

func runCycleRelay(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("cycle relay", flag.ContinueOnError)
	var cfg storeConfig
	cfg.register(fs, e.getenv)
	summary := "Moves every delivered line waiting in the outbox to the sales history in ClickHouse, batch by batch,\n" +
		"exactly once (ordercast serve does this every few seconds). It waits for no other relay: when one is\n" +
		"running it says so and stops."
	if err := parseFlags(fs, e, summary, args); err != nil {
		return err
	}
	if err := usageError(e, fs, cfg.validate()); err != nil {
		return err
	}
	opened, err := cfg.open(ctx)
	if err != nil {
		return err
	}
	defer opened.Close()
	pool, ch := opened.pg, opened.ch
	outbox := orderingpg.New(pool)
	relay := &ordering.Relay{Outbox: outbox, History: orderingch.New(ch)}
	n, err := relay.Drain(ctx)
	fmt.Fprintf(e.stdout, "relayed %d sales lines to ClickHouse\n", n)
	if err != nil {
		return err
	}
	left, _, err := outbox.Backlog(ctx)
	if err == nil && left > 0 {
		fmt.Fprintf(e.stdout, "%d lines still wait (written while this ran)\n", left)
	}
	return err
}
