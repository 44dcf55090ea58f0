package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ordercast/ordercast/forecast/allocation"
	forecastch "github.com/ordercast/ordercast/forecast/clickhouse"
	forecastapi "github.com/ordercast/ordercast/forecast/httpapi"
	"github.com/ordercast/ordercast/ordering"
	orderingpg "github.com/ordercast/ordercast/ordering/postgres"
	retailerpg "github.com/ordercast/ordercast/retailer/postgres"
)

const allocateSummary = "Allocates a scarce brand's supply for a cycle as per-outlet limits in whole cartons, each with an\n" +
	"explanation a retailer can read, and prints the summary (coverage, fill rate by grade, share of supply\n" +
	"per area, Gini coefficient of fill rates). Without -dry-run it publishes: the limits go into PostgreSQL,\n" +
	"where the ordering API enforces them at once, and the allocation with its explanations into ClickHouse.\n" +
	"Modes: grade, grade_within (with -dimension), price_band (with -price-class), selected (with -selected),\n" +
	"demand (from the latest forecast run)."

// previewRunAge is how long serve's allocation previews keep the forecast run covering a week once
// looked up: a run written since shows in previews within it (publishing looks it up at once, and
// refuses a preview of the run before as stale). The lookup is one small ClickHouse query, but it
// waits behind the warmers' long queries when ClickHouse is busy.
const previewRunAge = 30 * time.Second

type allocateFlags struct {
	storeConfig
	cycle, brand, mode, dimension, selected string
	supply, cap, priceClass, show           int
	minCoverage                             float64
	benchmarkFirst, dryRun, json            bool
}

func runAllocate(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("allocate", flag.ContinueOnError)
	var f allocateFlags
	f.storeConfig.register(fs, e.getenv)
	fs.StringVar(&f.cycle, "cycle", "", "the cycle, by the Monday of its week as YYYY-MM-DD (required)")
	fs.StringVar(&f.brand, "brand", "", "the brand's code (required, except for -mode price_band)")
	fs.IntVar(&f.supply, "supply", -1, "cartons of supply to allocate (required)")
	fs.StringVar(&f.mode, "mode", "grade", "grade, grade_within, price_band, selected or demand")
	fs.StringVar(&f.dimension, "dimension", "", "grade_within: district, market_type, locality, format or credit_level")
	fs.IntVar(&f.priceClass, "price-class", 0, "price_band: the wholesale price class 1 … 5 of the band")
	fs.StringVar(&f.selected, "selected", "", "selected: a file of licence numbers, one a line")
	fs.IntVar(&f.cap, "cap", 0, "at most this many cartons per outlet; 0 for no cap")
	fs.Float64Var(&f.minCoverage, "min-coverage", 0, "share 0 … 1 of eligible outlets guaranteed a carton, highest demand first")
	fs.BoolVar(&f.benchmarkFirst, "benchmark-first", false, "serve benchmark outlets in full first")
	fs.BoolVar(&f.dryRun, "dry-run", false, "show the allocation; write nothing")
	fs.BoolVar(&f.json, "json", false, "print the result as JSON (every outlet's limit)")
	fs.IntVar(&f.show, "show", 15, "how many outlets' limits to print (the highest first)")
	if err := parseFlags(fs, e, allocateSummary, args); err != nil {
		return err
	}
	req, err := f.request()
	if err := usageError(e, fs, err, f.storeConfig.validate()); err != nil {
		return err
	}

	opened, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer opened.Close()
	pool := opened.pg
	history := forecastch.NewOnCluster(opened.cluster)
	planner := &allocation.Planner{Outlets: retailerpg.New(pool), Brands: retailerpg.New(pool), Demand: history, Limits: orderingpg.New(pool), Archive: history}
	start := time.Now()
	plan, err := planner.Plan(ctx, req)
	if err != nil {
		var invalid *allocation.ValidationError
		if errors.As(err, &invalid) {
			return usageError(e, fs, allocationProblem(invalid))
		}
		return err
	}
	took := time.Since(start)
	if !f.dryRun {
		if err := planner.Publish(ctx, plan, 0); err != nil {
			var invalid *ordering.ValidationError
			if errors.As(err, &invalid) {
				return usageError(e, fs, err) // e.g. a brand that does not exist
			}
			return err
		}
	}
	if f.json {
		return json.NewEncoder(e.stdout).Encode(forecastapi.PlanViewOf(plan, !f.dryRun, len(plan.Result.Limits)))
	}
	printPlan(e.stdout, plan, f.show)
	if f.dryRun {
		fmt.Fprintf(e.stdout, "\ndry run (planned in %s): nothing written\n", took.Round(time.Millisecond))
	} else {
		fmt.Fprintf(e.stdout, "\npublished allocation %s: %d limits in PostgreSQL (enforced now) and ClickHouse\n", plan.ID, len(plan.Result.Limits))
	}
	return nil
}

func (f allocateFlags) request() (allocation.Request, error) {
	var errs []error
	week, err := ordering.ParseWeek(f.cycle)
	if err != nil {
		errs = append(errs, fmt.Errorf("-cycle %w", err))
	}
	mode := allocation.Mode(f.mode)
	if f.brand == "" && mode != allocation.ByPriceBand {
		errs = append(errs, errors.New("-brand is required"))
	}
	if f.supply < 0 {
		errs = append(errs, errors.New("-supply is required: cartons, 0 or more"))
	}
	req := allocation.Request{Week: week, Brand: f.brand, PriceClass: f.priceClass, Supply: f.supply, Mode: mode,
		Dimension: allocation.Dimension(f.dimension), Cap: f.cap,
		Options: allocation.Options{MinCoverage: f.minCoverage, BenchmarkFirst: f.benchmarkFirst}}
	if f.selected != "" {
		sel, err := readLicences(f.selected)
		if err != nil {
			errs = append(errs, err)
		}
		req.Selected = sel
	}
	return req, errors.Join(errs...)
}

// readLicences reads one licence number a line, skipping blank lines and # comments.
func readLicences(path string) ([]string, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("-selected: %w", err)
	}
	defer file.Close()
	var out []string
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("-selected %s: %w", path, err)
	}
	return out, nil
}

func printPlan(w io.Writer, p *allocation.Plan, show int) {
	s := p.Summary
	fmt.Fprintf(w, "allocation %s: %s, cycle %s, mode %s\n", p.ID, p.Result.Brand, p.Request.Week.Format(time.DateOnly), p.Result.Mode)
	if p.ForecastRun != "" {
		fmt.Fprintf(w, "forecast run %s\n", p.ForecastRun)
	}
	for _, warning := range p.Warnings {
		fmt.Fprintln(w, "warning:", warning)
	}
	fmt.Fprintf(w, "\nsupply %d cartons, allocated %d, unallocated %d\n", s.Supply, s.Allocated, s.Unallocated)
	fmt.Fprintf(w, "eligible outlets %d, covered %d (coverage %.1f%%)\n", s.Eligible, s.Covered, 100*s.Coverage)
	fmt.Fprintf(w, "forecast demand %.1f cartons, fill rate %.1f%%, Gini of fill rates %.3f\n\n", s.Demand, 100*s.FillRate, s.Gini)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "grade\toutlets\tcovered\tcartons\tdemand\tfill rate\t")
	for _, g := range s.Grades {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%.1f\t%.1f%%\t\n", g.Grade, g.Outlets, g.Covered, g.Cartons, g.Demand, 100*g.FillRate)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "area\toutlets\tcartons\tshare of supply")
	for _, a := range s.Areas {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f%%\n", a.Area, a.Outlets, a.Cartons, 100*a.Share)
	}
	tw.Flush()
	if show <= 0 {
		return
	}
	fmt.Fprintln(w)
	for _, i := range p.Result.Largest(show) {
		fmt.Fprintf(w, "%-14s %s\n", p.Result.Limits[i].Outlet, p.Result.Explain(i))
	}
}

// allocationProblem says what is wrong with a request in the terms of allocate's flags:
// `-mode "x": unknown mode` rather than `allocation: unknown mode: mode = "x"`.
func allocationProblem(v *allocation.ValidationError) error {
	flagName := strings.ReplaceAll(strings.TrimPrefix(v.Field, "options."), "_", "-")
	if flagName == "week" {
		flagName = "cycle"
	}
	s := "-" + flagName
	if v.Value != "" {
		s += " " + v.Value
	}
	s += ": " + strings.TrimPrefix(v.Err.Error(), "allocation: ")
	if v.Outlet != "" {
		s += fmt.Sprintf(" (outlet %q)", v.Outlet)
	}
	return errors.New(s)
}
