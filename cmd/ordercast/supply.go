package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ordercast/ordercast/ordering"
	orderingch "github.com/ordercast/ordercast/ordering/clickhouse"
	orderingpg "github.com/ordercast/ordercast/ordering/postgres"
	"github.com/ordercast/ordercast/ordering/supplyapi"
)

func runImportArrivals(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("import arrivals", flag.ContinueOnError)
	var cfg storeConfig
	cfg.register(fs, e.getenv)
	var file string
	fs.StringVar(&file, "csv", "", "the CSV file of planned arrivals, header brand,arrives_on,cartons[,cadence] (required)")
	var zone string
	registerTimeZone(fs, e.getenv, &zone, "whose today is the earliest arrives_on")
	summary := "Loads manufacturers' arrival plans (到货计划) from a CSV file into PostgreSQL: one row per brand and day,\n" +
		"cadence weekly or ten_days. All or nothing: a bad row stops it with the file, line, column and value,\n" +
		"and nothing is written. A brand and day planned before gets the file's quantity (importing the same\n" +
		"file twice gives the same plans).\n\n" +
		"Example: ordercast import arrivals -csv arrivals.csv"
	if err := parseFlags(fs, e, summary, args); err != nil {
		return err
	}
	var errs []error
	if file == "" {
		errs = append(errs, errors.New("-csv is required"))
	}
	loc, zoneErr := loadZone(zone)
	if err := usageError(e, fs, append(errs, cfg.validate(), zoneErr)...); err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("import arrivals: %w", err)
	}
	defer f.Close()
	name := filepath.Base(file)
	rows, err := ordering.ParseArrivalsCSV(f, name)
	if err != nil {
		return fmt.Errorf("import arrivals: %w\nnothing was written", err)
	}
	opened, err := cfg.open(ctx)
	if err != nil {
		return err
	}
	defer opened.Close()
	plans := make([]ordering.ArrivalPlan, len(rows))
	for i, r := range rows {
		plans[i] = r.Plan
	}
	n, err := orderingpg.New(opened.pg).SubmitArrivals(ctx, 0, plans, name, 0, time.Now().In(loc), ordering.ArrivalKey(name, rows))
	if err != nil {
		var invalid *ordering.ValidationError
		if errors.As(err, &invalid) {
			return fmt.Errorf("import arrivals: %s\nnothing was written", csvFieldProblems(invalid.Fields))
		}
		return err
	}
	fmt.Fprintf(e.stdout, "imported %d planned arrivals from %s\n", n, file)
	return nil
}

// csvFieldProblems turns validation errors keyed "file:line.column" into one line each,
// "file:line: column "column": message", sorted.
func csvFieldProblems(fields map[string]string) string {
	lines := make([]string, 0, len(fields))
	for k, msg := range fields {
		if i := strings.LastIndexByte(k, '.'); i > 0 {
			lines = append(lines, fmt.Sprintf("%s: column %q: %s", k[:i], k[i+1:], msg))
		} else {
			lines = append(lines, fmt.Sprintf("%s: %s", k, msg))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func runBalance(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("balance", flag.ContinueOnError)
	var cfg storeConfig
	cfg.register(fs, e.getenv)
	reportErr := cfg.registerReport(fs, e.getenv)
	var brand string
	var weeks int
	var asJSON bool
	fs.StringVar(&brand, "brand", "", "one brand's code; every brand when empty")
	fs.IntVar(&weeks, "weeks", ordering.DefaultBalanceWeeks, fmt.Sprintf("weeks from this one, 1 … %d", ordering.MaxBalanceWeeks))
	fs.BoolVar(&asJSON, "json", false, "print the balance as JSON (as GET /api/v1/balance)")
	var zone string
	registerTimeZone(fs, e.getenv, &zone, "whose today's week is the balance's first")
	summary := "Prints the supply–demand balance per brand and week: the forecast demand of the latest run with its\n" +
		"80% interval, what orders requested so far, warehouse stock, planned arrivals, projected stock, days of\n" +
		"cover, shortfall or surplus, and the stock warnings. A brand short of supply is proposed as scarce for\n" +
		"the first week that falls short, with the supply to allocate (ordercast allocate -supply)."
	if err := parseFlags(fs, e, summary, args); err != nil {
		return err
	}
	errs := []error{reportErr}
	if weeks < 1 || weeks > ordering.MaxBalanceWeeks {
		errs = append(errs, fmt.Errorf("-weeks: want 1 to %d", ordering.MaxBalanceWeeks))
	}
	loc, zoneErr := loadZone(zone)
	if err := usageError(e, fs, append(errs, cfg.validate(), zoneErr)...); err != nil {
		return err
	}
	opened, err := cfg.open(ctx)
	if err != nil {
		return err
	}
	defer opened.Close()
	reps, err := cfg.openReports(ctx, opened.pg, nil, nil)
	if err != nil {
		return err
	}
	defer reps.Close()
	b := &ordering.Balancer{Facts: orderingpg.New(reps.Pool()), History: orderingch.New(opened.ch)}
	bs, err := b.Balances(ctx, ordering.BalanceQuery{Brand: brand, Weeks: weeks}, time.Now().In(loc))
	if errors.Is(err, ordering.ErrNotFound) {
		return usageError(e, fs, fmt.Errorf("-brand: %q: no such brand", brand))
	}
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(supplyapi.BalancesOf(bs))
	}
	printBalances(e, bs)
	return nil
}

func printBalances(e env, bs ordering.Balances) {
	run := bs.ForecastRun
	if run == "" {
		run = "none (demand is what was requested)"
	}
	fmt.Fprintf(e.stdout, "supply–demand balance from the week of %s, %d weeks; forecast run %s\n", bs.From.Format(time.DateOnly), bs.Weeks, run)
	for _, b := range bs.Brands {
		fmt.Fprintf(e.stdout, "\n%s: stock %d cartons", strings.TrimSpace(b.Brand+" "+b.Name), b.Stock)
		if b.StockToSales != nil {
			fmt.Fprintf(e.stdout, ", %.1f weeks of sales (%.1f a week over %d weeks)", *b.StockToSales, b.WeeklySales, ordering.SalesWindowWeeks)
		}
		if b.Limits != nil {
			fmt.Fprintf(e.stdout, ", limits %d … %d", b.Limits.Lower, b.Limits.Upper)
		}
		fmt.Fprintln(e.stdout)
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "week\tforecast\t80% interval\trequested\tarrivals\tdemand\tprojected\tcover (days)\tshortfall\tsurplus\twarnings\t")
		for _, w := range b.Weeks {
			fc, interval := "-", "-"
			if w.HasForecast {
				fc, interval = fmt.Sprintf("%.1f", w.Forecast), fmt.Sprintf("%.1f–%.1f", w.Lo80, w.Hi80)
			}
			cover := "-"
			if w.DaysOfCover != nil {
				cover = fmt.Sprintf("%.1f", *w.DaysOfCover)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%.1f\t%.1f\t%s\t%.1f\t%.1f\t%s\t\n", w.Week.Format(time.DateOnly), fc, interval,
				w.Requested, w.Arrivals, w.Demand, w.Projected, cover, w.Shortfall, w.Surplus, strings.Join(w.Warnings, ","))
		}
		tw.Flush() //nolint:errcheck // stdout
		if p := b.Proposal; p != nil {
			fmt.Fprintf(e.stdout, "  scarce from the cycle of %s: %d cartons for a demand of %.1f (short %.1f)\n"+
				"  preview: ordercast allocate -cycle %s -brand %s -supply %d -dry-run\n",
				p.Week.Format(time.DateOnly), p.Supply, p.Demand, p.Shortfall, p.Week.Format(time.DateOnly), b.Brand, p.Supply)
		}
	}
}
