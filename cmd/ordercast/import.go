package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ordercast/ordercast/forecast/clickhouse"
	"github.com/ordercast/ordercast/forecast/historycsv"
	"github.com/ordercast/ordercast/forecast/holidaycsv"
)

func runImport(ctx context.Context, e env, args []string) error {
	return subcommands{group: "import", missing: "say what to import", unknown: "unknown kind of import",
		subs: []command{{"history", "", runImportHistory}, {"holidays", "", runImportHolidays}, {"arrivals", "", runImportArrivals}}, usage: importUsage}.run(ctx, e, args)
}

func importUsage(w io.Writer) {
	io.WriteString(w, "Usage: ordercast import <what> [flags]\n\nImports data from files into the stores.\n\nWhat:\n"+
		"  history    load sales history from a CSV export into ClickHouse (atomic and idempotent per dataset)\n"+
		"  holidays   load a dataset's holiday calendar (date,name[,region], M5's calendar.csv or Walmart's\n"+
		"             IsHoliday flags) into ClickHouse, replacing the dataset's earlier one\n"+
		"  arrivals   load manufacturers' arrival plans from a CSV file into PostgreSQL (all or nothing)\n\n"+
		"Run `ordercast import <what> -h` for its flags.\n")
}

// importHistoryConfig is the configuration of `ordercast import history`. The import only needs
// ClickHouse, so only the ClickHouse DSN of storeConfig is taken.
type importHistoryConfig struct {
	storeConfig
	CSV        string
	Outlet     string
	Brand      string
	Date       string
	Qty        string
	Dataset    string
	Period     string
	DateFormat string
	Comma      string
	BatchRows  int
}

func (c *importHistoryConfig) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&c.ClickHouseDSN, "ch-dsn", envOr(getenv, "ORDERCAST_CH_DSN", defaultClickHouseDSN),
		"ClickHouse DSN, native protocol, the history store (env ORDERCAST_CH_DSN)")
	registerCluster(fs, getenv, &c.ClickHouseCluster)
	fs.StringVar(&c.CSV, "csv", "", "the CSV file to import, with a header line (required)")
	fs.StringVar(&c.Outlet, "outlet", "", "header name of the outlet column (required)")
	fs.StringVar(&c.Brand, "brand", "", "header name of the brand column (required)")
	fs.StringVar(&c.Date, "date", "", "header name of the date column (required)")
	fs.StringVar(&c.Qty, "qty", "", "header name of the quantity column; negative quantities are returns (required)")
	fs.StringVar(&c.Dataset, "dataset", "", "name of the dataset the import replaces: letters, digits, '_' and '-', not \"live\" (required)")
	fs.StringVar(&c.Period, "period", string(historycsv.Daily), "day, or week to store each row on the Monday of its week")
	fs.StringVar(&c.DateFormat, "date-format", historycsv.DefaultDateLayout, "Go time layout of the date column, e.g. 02.01.2006")
	fs.StringVar(&c.Comma, "comma", ",", "field separator, one character (\\t for a tab)")
	fs.IntVar(&c.BatchRows, "batch-rows", clickhouse.DefaultImportBatchRows, "rows per insert block; memory grows with it")
}

func (c importHistoryConfig) validate() error {
	var errs []error
	if !strings.HasPrefix(c.ClickHouseDSN, "clickhouse://") {
		errs = append(errs, errors.New("-ch-dsn: want clickhouse://host:port/database (native protocol)"))
	}
	if err := clusterError(c.ClickHouseCluster); err != nil {
		errs = append(errs, err)
	}
	for _, f := range []struct{ name, value string }{
		{"csv", c.CSV}, {"outlet", c.Outlet}, {"brand", c.Brand}, {"date", c.Date}, {"qty", c.Qty}, {"dataset", c.Dataset},
	} {
		if strings.TrimSpace(f.value) == "" {
			errs = append(errs, fmt.Errorf("-%s is required", f.name))
		}
	}
	if c.Dataset != "" {
		if err := clickhouse.CheckDataset(c.Dataset); err != nil {
			errs = append(errs, fmt.Errorf("-dataset: %w", err))
		}
	}
	if _, err := historycsv.ParsePeriod(c.Period); err != nil {
		errs = append(errs, fmt.Errorf("-period %q: want day or week", c.Period))
	}
	if _, err := c.comma(); err != nil {
		errs = append(errs, err)
	}
	if strings.TrimSpace(c.DateFormat) == "" {
		errs = append(errs, errors.New("-date-format: want a Go time layout such as 2006-01-02"))
	}
	if c.BatchRows <= 0 {
		errs = append(errs, errors.New("-batch-rows: must be positive"))
	}
	return errors.Join(errs...)
}

func (c importHistoryConfig) comma() (rune, error) {
	s := c.Comma
	if s == `\t` {
		s = "\t"
	}
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 || size != len(s) || r == utf8.RuneError || r == '"' || r == '\r' || r == '\n' {
		return 0, fmt.Errorf("-comma %q: want one character other than a quote or a line break", c.Comma)
	}
	return r, nil
}

func runImportHistory(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("import history", flag.ContinueOnError)
	var cfg importHistoryConfig
	cfg.register(fs, e.getenv)
	summary := "Loads sales history from a CSV export (one row per outlet, brand and day or week) into ClickHouse\n" +
		"as the dataset -dataset, replacing what an earlier import of that dataset loaded. The import is\n" +
		"atomic: a bad row stops it with the file, line, column and value, and the dataset is left as it\n" +
		"was. Importing the same file again gives the same data. Needs a migrated ClickHouse (ordercast migrate).\n\n" +
		"Example: ordercast import history --csv train.csv --outlet Store --brand Dept --date Date \\\n" +
		"           --qty Weekly_Sales --period week --dataset walmart"
	if err := parseFlags(fs, e, summary, args); err != nil {
		return err
	}
	if err := usageError(e, fs, cfg.validate()); err != nil {
		return err
	}
	comma, _ := cfg.comma()
	period, _ := historycsv.ParsePeriod(cfg.Period)

	f, err := os.Open(cfg.CSV)
	if err != nil {
		return fmt.Errorf("import history: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("import history: %w", err)
	}

	ch, err := openHistory(ctx, cfg.ClickHouseDSN, cfg.ClickHouseCluster)
	if err != nil {
		return err
	}
	defer ch.Close()

	prog := newProgress(e.stderr, "import "+cfg.Dataset, "bytes", st.Size())
	rd, err := historycsv.NewReader(&countingReader{r: f, p: prog}, historycsv.Options{
		File:   cfg.CSV,
		Outlet: cfg.Outlet, Brand: cfg.Brand, Date: cfg.Date, Qty: cfg.Qty,
		Period:     period,
		DateLayout: cfg.DateFormat,
		Comma:      comma,
	})
	if err != nil {
		return fmt.Errorf("import history: %w", err)
	}
	start := time.Now()
	res, err := clickhouse.NewOnCluster(ch).ImportHistory(ctx, clickhouse.ImportMeta{
		Dataset:   cfg.Dataset,
		Period:    string(period),
		Source:    cfg.CSV,
		BatchRows: cfg.BatchRows,
	}, rd.Read)
	elapsed := time.Since(start)
	prog.Finish()
	if err != nil {
		if !res.Replaced {
			return fmt.Errorf("%w; nothing was imported, dataset %s is unchanged", err, cfg.Dataset)
		}
		return err
	}
	fmt.Fprintf(e.stdout, "imported %d rows of %s into dataset %s: %d outlets, %d brands, %s to %s (%s), %.1fs, %.0f rows/s\n",
		res.Rows, cfg.CSV, res.Dataset, res.Outlets, res.Brands,
		res.FirstDay.Format(time.DateOnly), res.LastDay.Format(time.DateOnly), periodWord(period),
		elapsed.Seconds(), float64(res.Rows)/elapsed.Seconds())
	return nil
}

func periodWord(p historycsv.Period) string {
	if p == historycsv.Weekly {
		return "weekly"
	}
	return "daily"
}

// countingReader reports the bytes read through it to a progress bar.
type countingReader struct {
	r io.Reader
	p *progress
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.Add(int64(n))
	return n, err
}

// importHolidaysConfig is the configuration of `ordercast import holidays`.
type importHolidaysConfig struct {
	storeConfig
	CSV     string
	Dataset string
	From    string
}

func (c *importHolidaysConfig) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&c.ClickHouseDSN, "ch-dsn", envOr(getenv, "ORDERCAST_CH_DSN", defaultClickHouseDSN),
		"ClickHouse DSN, native protocol, the history store (env ORDERCAST_CH_DSN)")
	registerCluster(fs, getenv, &c.ClickHouseCluster)
	fs.StringVar(&c.CSV, "csv", "", "the CSV file to import, with a header line (required)")
	fs.StringVar(&c.Dataset, "dataset", "", "the dataset whose holiday calendar the import replaces (required; \"live\" too)")
	fs.StringVar(&c.From, "from", string(holidaycsv.Calendar), "the file's format: calendar (date,name[,region]), "+
		"m5-calendar (M5's calendar.csv: event_name_1, event_name_2) or walmart-flags (Date, IsHoliday: train.csv or features.csv)")
}

func (c importHolidaysConfig) validate() error {
	var errs []error
	if !strings.HasPrefix(c.ClickHouseDSN, "clickhouse://") {
		errs = append(errs, errors.New("-ch-dsn: want clickhouse://host:port/database (native protocol)"))
	}
	if err := clusterError(c.ClickHouseCluster); err != nil {
		errs = append(errs, err)
	}
	if strings.TrimSpace(c.CSV) == "" {
		errs = append(errs, errors.New("-csv is required"))
	}
	if strings.TrimSpace(c.Dataset) == "" {
		errs = append(errs, errors.New("-dataset is required"))
	} else if err := clickhouse.CheckHolidayDataset(c.Dataset); err != nil {
		errs = append(errs, fmt.Errorf("-dataset: %w", err))
	}
	if _, err := holidaycsv.ParseFormat(c.From); err != nil {
		errs = append(errs, fmt.Errorf("-from %q: want %s, %s or %s", c.From, holidaycsv.Calendar, holidaycsv.M5Calendar,
			holidaycsv.WalmartFlags))
	}
	return errors.Join(errs...)
}

func runImportHolidays(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("import holidays", flag.ContinueOnError)
	var cfg importHolidaysConfig
	cfg.register(fs, e.getenv)
	summary := "Loads the holiday calendar of dataset -dataset into ClickHouse, replacing what an earlier import\n" +
		"of its holidays loaded; forecast run and forecast backtest of the dataset then learn a profile of\n" +
		"demand by weeks to each holiday named. The file is read whole first: a bad row stops the import with\n" +
		"the file, line, column and value, and the dataset's calendar is left as it was. The region's own\n" +
		"calendar (ordercast seed, forecast calendar) is not touched. Needs a migrated ClickHouse.\n\n" +
		"Examples: ordercast import holidays -dataset shop -csv holidays.csv          # date,name[,region]\n" +
		"          ordercast import holidays -dataset m5 -from m5-calendar -csv calendar.csv\n" +
		"          ordercast import holidays -dataset walmart -from walmart-flags -csv features.csv"
	if err := parseFlags(fs, e, summary, args); err != nil {
		return err
	}
	if err := usageError(e, fs, cfg.validate()); err != nil {
		return err
	}
	format, _ := holidaycsv.ParseFormat(cfg.From)
	f, err := os.Open(cfg.CSV)
	if err != nil {
		return fmt.Errorf("import holidays: %w", err)
	}
	days, err := holidaycsv.Read(f, cfg.CSV, format)
	f.Close()
	if err != nil {
		return fmt.Errorf("import holidays: %w; nothing was imported, the holidays of dataset %s are unchanged", err, cfg.Dataset)
	}
	if len(days) == 0 {
		return fmt.Errorf("import holidays: %s names no holiday; nothing was imported, the holidays of dataset %s are unchanged",
			cfg.CSV, cfg.Dataset)
	}

	ch, err := openHistory(ctx, cfg.ClickHouseDSN, cfg.ClickHouseCluster)
	if err != nil {
		return err
	}
	defer ch.Close()
	res, err := clickhouse.NewOnCluster(ch).ImportHolidays(ctx, cfg.Dataset, days)
	if err != nil {
		return fmt.Errorf("import holidays: %w; the holidays of dataset %s are unchanged", err, cfg.Dataset)
	}
	fmt.Fprintf(e.stdout, "imported %d holiday days of %d holidays from %s into dataset %s, %s to %s\n",
		res.Days, res.Names, cfg.CSV, res.Dataset, res.FirstDay.Format(time.DateOnly), res.LastDay.Format(time.DateOnly))
	return nil
}
