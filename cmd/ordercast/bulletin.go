package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordercast/ordercast/retailer/indicators"
	indicatorsch "github.com/ordercast/ordercast/retailer/indicators/clickhouse"
	indicatorsapi "github.com/ordercast/ordercast/retailer/indicators/httpapi"
	indicatorspg "github.com/ordercast/ordercast/retailer/indicators/postgres"
)

// newIndicators wires the indicators' service to both stores: current orders, targets and surveys
// from PostgreSQL, history, scans and accuracy scores from ClickHouse. The directory and the order and
// survey figures are read from reports (the report replica's pool, or the primary's), the targets,
// which a planner reads back as soon as he sets them, from the primary.
func newIndicators(primary, reports *pgxpool.Pool, ch driver.Conn) *indicators.Service {
	pg, rep, hist := indicatorspg.New(primary), indicatorspg.New(reports), indicatorsch.New(ch)
	return &indicators.Service{Directory: rep, Orders: rep, History: hist, Scores: hist, Targets: pg}
}

// newServedIndicators is newIndicators with the bulletins kept computed in PostgreSQL
// (bulletin_snapshots, on the primary), for serve: a request reads its day's bulletin as stored while
// it is at most indicators.DefaultMaxAge old, and the "bulletin" job refreshes today's and yesterday's.
func newServedIndicators(primary, reports *pgxpool.Pool, ch driver.Conn) *indicators.Service {
	svc := newIndicators(primary, reports, ch)
	svc.Snapshots = indicatorspg.New(primary)
	return svc
}

// bulletinConfig is the configuration of `ordercast bulletin`.
type bulletinConfig struct {
	storeConfig
	Date  string
	Level string
	JSON  bool
	Zone  string // -timezone: its today is the default -date
}

func runBulletin(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("bulletin", flag.ContinueOnError)
	var cfg bulletinConfig
	cfg.storeConfig.register(fs, e.getenv)
	reportErr := cfg.storeConfig.registerReport(fs, e.getenv)
	fs.StringVar(&cfg.Date, "date", "", "YYYY-MM-DD: the day of the bulletin (default today in -timezone)")
	fs.StringVar(&cfg.Level, "level", string(indicators.AtManager), "the rows under the company's: company, area, route, manager or outlet")
	fs.BoolVar(&cfg.JSON, "json", false, "print the report as the API's GET /indicators shows it instead of a table")
	registerTimeZone(fs, e.getenv, &cfg.Zone, "whose today is the default -date")
	summary := "Prints the daily bulletin: the company's figures and those of every row of -level, each over its\n" +
		"cadence (order success, failed orders, empty orders and uploads over the day; scarce-brand coverage,\n" +
		"new-product shelving, sell-through, stock-outs and stock-to-sales over its week; forecast accuracy and\n" +
		"satisfaction over its month), beside its target with the gap; managers with the previous period's\n" +
		"figure and their rank. A figure without data says why instead of a number; one whose period holds\n" +
		"today (the -timezone's) is marked \"so far\"."
	if err := parseFlags(fs, e, summary, args); err != nil {
		return err
	}
	loc, zoneErr := loadZone(cfg.Zone)
	errs := []error{reportErr, cfg.storeConfig.validate(), zoneErr}
	date := time.Now().In(loc) // its calendar day: indicators.PeriodOf below
	if cfg.Date != "" {
		d, err := time.Parse(time.DateOnly, cfg.Date)
		if err != nil {
			errs = append(errs, fmt.Errorf("-date %q: want YYYY-MM-DD", cfg.Date))
		}
		date = d
	}
	level, err := indicators.ParseLevel(cfg.Level)
	if err != nil {
		errs = append(errs, fmt.Errorf("-level %q: want company, area, route, manager or outlet", cfg.Level))
	}
	if err := usageError(e, fs, errs...); err != nil {
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
	day, _ := indicators.PeriodOf(indicators.Day, date)
	rep, err := newIndicators(opened.pg, reps.Pool(), opened.ch).Report(ctx, indicators.Query{Period: day, Level: level, Cadence: true})
	if err != nil {
		return fmt.Errorf("bulletin: %w", err)
	}
	if level == indicators.AtCompany {
		rep.Rows = nil
	}
	if cfg.JSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(indicatorsapi.ReportView(rep))
	}
	printBulletin(e.stdout, rep, time.Now().In(loc))
	return nil
}

// printBulletin prints one line per row and indicator, a figure off its cadence marked [n] and the
// notes that say why below, and a period that holds today (the region's) marked "so far".
func printBulletin(w io.Writer, rep indicators.Report, today time.Time) {
	var notes []string
	fmt.Fprintf(w, "bulletin of %s: %s rows\n", rep.Period.Start.Format(time.DateOnly), rep.Level)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LEVEL\tKEY\tINDICATOR\tPERIOD\tVALUE\tTARGET\tGAP\tPREVIOUS\tRANK")
	for _, r := range append([]indicators.Row{rep.Company}, rep.Rows...) {
		key := r.Key
		if key == "" {
			key = "-"
		}
		for _, v := range r.Values {
			value := "no data: " + v.NoData
			if v.Value != nil {
				value = figure(v.Indicator, v.Value)
			}
			if v.Note != "" {
				i := slices.Index(notes, v.Note)
				if i < 0 {
					i, notes = len(notes), append(notes, v.Note)
				}
				value += fmt.Sprintf(" [%d]", i+1)
			}
			rank := ""
			if v.Rank > 0 {
				rank = fmt.Sprintf("%d/%d", v.Rank, v.Peers)
			}
			period := v.Period.String()
			if v.Period.UnderWay(today) {
				period += " so far"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Level, key, v.Indicator, period, value,
				figure(v.Indicator, v.Target), figure(v.Indicator, v.Gap), figure(v.Indicator, v.Previous), rank)
		}
	}
	tw.Flush()
	for i, n := range notes {
		fmt.Fprintf(w, "[%d] %s\n", i+1, n)
	}
	for _, spec := range indicators.Specs {
		if spec.Basis != "" {
			fmt.Fprintf(w, "%s is measured against %s quantities (ordercast score -against %s)\n", spec.Indicator, spec.Basis, spec.Basis)
		}
	}
}

// figure formats a value in its unit: ratios as percentages, weeks and scores with one decimal.
func figure(ind indicators.Indicator, x *float64) string {
	if x == nil {
		return ""
	}
	if spec, _ := indicators.SpecOf(ind); spec.Unit == "ratio" {
		return strconv.FormatFloat(100**x, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(*x, 'f', 1, 64)
}
