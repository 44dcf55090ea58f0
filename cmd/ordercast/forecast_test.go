package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/forecast/forecasttest"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/")

func TestForecastUsage(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantErr    error
		wantStdout string
		wantStderr string
	}{
		{"no subcommand", []string{"forecast"}, ErrUsage, "", "say what to do"},
		{"unknown subcommand", []string{"forecast", "guess"}, ErrUsage, "", `unknown subcommand "guess"`},
		{"help", []string{"forecast", "-h"}, flag.ErrHelp, "backtest", ""},
		{"run help", []string{"forecast", "run", "-h"}, flag.ErrHelp, "Usage: ordercast forecast run", ""},
		{"backtest help", []string{"forecast", "backtest", "-h"}, flag.ErrHelp, "-against", ""},
		{"horizon 0", []string{"forecast", "run", "--horizon", "0"}, ErrUsage, "", "-horizon 0"},
		{"bad as-of", []string{"forecast", "run", "--as-of", "22/11/2026"}, ErrUsage, "", "-as-of"},
		{"bad dsn", []string{"forecast", "run", "--ch-dsn", "http://x"}, ErrUsage, "", "-ch-dsn"},
		{"stray argument", []string{"forecast", "run", "now"}, ErrUsage, "", `unexpected argument "now"`},
		{"no origins", []string{"forecast", "backtest", "--origins", "0"}, ErrUsage, "", "-origins 0"},
		{"against what", []string{"forecast", "backtest", "--against", "hope"}, ErrUsage, "", `-against "hope"`},
		{"negative workers", []string{"forecast", "backtest", "--workers", "-1"}, ErrUsage, "", "-workers -1"},
		{"origin dates and origins", []string{"forecast", "backtest", "--origin-dates", "2026-01-05", "--origins", "2"}, ErrUsage, "",
			"-origin-dates and -origins: give one or the other"},
		{"origin dates and as-of", []string{"forecast", "backtest", "--origin-dates", "2026-01-05", "--as-of", "2026-02-02"}, ErrUsage, "",
			"-origin-dates and -as-of: give one or the other"},
		{"origin date not a Monday", []string{"forecast", "backtest", "--origin-dates", "2026-01-05,2026-02-03"}, ErrUsage, "",
			"-origin-dates: 2026-02-03 is a Tuesday; want the Monday of a week"},
		{"origin date not a date", []string{"forecast", "backtest", "--origin-dates", "2026-01-05,soon"}, ErrUsage, "",
			`-origin-dates: "soon": want YYYY-MM-DD`},
		{"unmet share 0", []string{"forecast", "run", "--unmet-share", "0"}, ErrUsage, "", "-unmet-share 0"},
		{"unknown time zone", []string{"forecast", "run", "--timezone", "Mars/Olympus"}, ErrUsage, "",
			`-timezone "Mars/Olympus": want an IANA time zone`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, err := runCmd(t, tt.args...)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Run(%q) = %v; want %v", tt.args, err, tt.wantErr)
			}
			if !strings.Contains(stdout, tt.wantStdout) || !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("Run(%q) stdout %q, stderr %q; want them to contain %q and %q", tt.args, stdout, stderr,
					tt.wantStdout, tt.wantStderr)
			}
		})
	}
}

// seedSmallRegion seeds a small region into new databases and returns the ClickHouse DSN.
func seedSmallRegion(t *testing.T) string {
	t.Helper()
	pg, ch := storestest.MigratedPostgresDSN(t), storestest.MigratedClickHouseDSN(t)
	_, stderr, err := runCmd(t, "seed", "--outlets", "40", "--brands", "10", "--weeks", "60", "--as-of", "2026-11-22",
		"--pg-dsn", pg, "--ch-dsn", ch)
	if err != nil {
		t.Fatalf("seed: %v (%s)", err, stderr)
	}
	return ch
}

// forecastRow is a row of forecasts or forecasts_monthly.
type forecastRow struct {
	level, outlet, brand string
	week                 string
	point, lo, hi        float64
}

func readForecastRows(t *testing.T, dsn, query string) []forecastRow {
	t.Helper()
	conn := storestest.OpenClickHouse(t, dsn)
	rows, err := conn.Query(context.Background(), query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []forecastRow
	for rows.Next() {
		var r forecastRow
		if err := rows.Scan(&r.level, &r.outlet, &r.brand, &r.week, &r.point, &r.lo, &r.hi); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkLevelsAddUp reports outlet rows that do not add up to their brand row and brand rows that do
// not add up to the total, per period, within 1e-9 relative, and negative values.
func checkLevelsAddUp(t *testing.T, what string, rows []forecastRow) (outlets int) {
	t.Helper()
	type key struct{ brand, week string }
	sumOutlets := make(map[key]float64)
	sumBrands := make(map[string]float64)
	brand := make(map[key]float64)
	total := make(map[string]float64)
	for _, r := range rows {
		if !(r.point >= 0 && r.lo >= 0 && r.lo <= r.point && r.hi >= r.point) {
			t.Errorf("%s: %+v: want 0 ≤ lo80 ≤ point ≤ hi80", what, r)
		}
		switch r.level {
		case "outlet":
			outlets++
			sumOutlets[key{r.brand, r.week}] += r.point
		case "brand":
			brand[key{r.brand, r.week}] = r.point
			sumBrands[r.week] += r.point
		case "total":
			total[r.week] = r.point
		default:
			t.Errorf("%s: level %q", what, r.level)
		}
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }
	if len(brand) != len(sumOutlets) || len(total) == 0 {
		t.Errorf("%s: %d brand rows for %d brand × period sums of outlets, %d total rows", what, len(brand), len(sumOutlets), len(total))
	}
	for k, v := range brand {
		if !near(v, sumOutlets[k]) {
			t.Errorf("%s: brand %s %s = %v; its outlets add up to %v", what, k.brand, k.week, v, sumOutlets[k])
		}
	}
	for w, v := range total {
		if !near(v, sumBrands[w]) {
			t.Errorf("%s: total %s = %v; the brands add up to %v", what, w, v, sumBrands[w])
		}
	}
	return outlets
}

func TestForecastRunEndToEnd(t *testing.T) {
	ch := seedSmallRegion(t)
	stdout, stderr, err := runCmd(t, "forecast", "run", "--ch-dsn", ch)
	if err != nil {
		t.Fatalf("forecast run: %v (%s)", err, stderr)
	}
	// The seed as of Sunday 22 November holds the week under way, 16 November, with every order day of it.
	summary := regexp.MustCompile(`(?s)^forecast run \S+-live-[0-9a-f]{8}: dataset live, as of 2026-11-23\n` +
		`history: +(\d+) series \(\d+ outlets, 10 brands\), 60 weeks 2025-09-29 … 2026-11-16\n` +
		`censored: .*\nforecast: +5 weeks 2026-11-23 … 2026-12-21; total .*\nmodels: .*\ncalendar: .*\n` +
		`stored: +\d+ weekly and \d+ monthly rows .*\ntime: .*\n$`)
	m := summary.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("forecast run printed\n%s\nwant it to match %s", stdout, summary)
	}
	if stderr != "" {
		t.Errorf("forecast run wrote %q to stderr, which is not a terminal; want nothing", stderr)
	}

	weekly := readForecastRows(t, ch, "SELECT level, outlet, brand, toString(week), point, lo80, hi80 FROM forecasts")
	if n := checkLevelsAddUp(t, "forecasts", weekly); n == 0 || m[1] != itoa(n/5) {
		t.Errorf("%d outlet rows; want 5 weeks of the %s series", n, m[1])
	}
	monthly := readForecastRows(t, ch, "SELECT level, outlet, brand, toString(month), point, toFloat64(0), point FROM forecasts_monthly")
	checkLevelsAddUp(t, "forecasts_monthly", monthly)

	// A second run, from an earlier week and for 2 weeks, is a run of its own.
	if _, stderr, err := runCmd(t, "forecast", "run", "--ch-dsn", ch, "--as-of", "2026-10-01", "--horizon", "2"); err != nil {
		t.Fatalf("forecast run --as-of 2026-10-01: %v (%s)", err, stderr)
	}
	conn := storestest.OpenClickHouse(t, ch)
	var runs, weeks uint64
	err = conn.QueryRow(context.Background(), "SELECT (SELECT count() FROM forecast_runs), "+
		"(SELECT uniqExact(week) FROM forecasts WHERE as_of = toDate('2026-09-28'))").Scan(&runs, &weeks)
	if err != nil || runs != 2 || weeks != 2 {
		t.Errorf("after two runs: %d runs, %d weeks forecast as of 2026-09-28, %v; want 2 and 2", runs, weeks, err)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestForecastBacktestJSON(t *testing.T) {
	ch := seedSmallRegion(t)
	for _, args := range [][]string{
		{"forecast", "backtest", "--json", "--ch-dsn", ch, "--top-down"},
		{"forecast", "backtest", "--json", "--ch-dsn", ch, "--top-down", "--against", "demand", "--scarce", "--horizon", "2", "--origins", "2"},
	} {
		stdout, stderr, err := runCmd(t, args...)
		if err != nil {
			t.Fatalf("%q: %v (%s)", args, err, stderr)
		}
		if strings.Count(strings.TrimSpace(stdout), "\n") != 0 {
			t.Errorf("%q printed several lines; want one JSON object:\n%s", args, stdout)
		}
		var got map[string]json.RawMessage
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatalf("%q printed %q: %v", args, stdout, err)
		}
		for _, k := range []string{"dataset", "series", "origins", "horizon", "engine", "methods"} {
			if _, ok := got[k]; !ok {
				t.Errorf("%q: no %q in %s", args, k, stdout)
			}
		}
		var shape struct {
			Dataset  string                        `json:"dataset"`
			Series   int                           `json:"series"`
			Origins  int                           `json:"origins"`
			Horizon  int                           `json:"horizon"`
			Holidays int                           `json:"holidays"`
			Engine   map[string]*float64           `json:"engine"`
			Methods  map[string]map[string]float64 `json:"methods"`
		}
		if err := json.Unmarshal([]byte(stdout), &shape); err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		if shape.Dataset != "live" || shape.Series == 0 || shape.Origins < 2 || shape.Horizon < 2 {
			t.Errorf("%q: dataset %q, %d series, %d origins, horizon %d", args, shape.Dataset, shape.Series, shape.Origins, shape.Horizon)
		}
		metrics := []string{"wape", "bias", "brand_accuracy", "total_accuracy", "rmsse", "seconds"}
		for _, k := range metrics {
			if v, ok := shape.Engine[k]; !ok || v == nil {
				t.Errorf("%q: engine has no %s", args, k)
			}
		}
		// The seeded calendar's festivals: the engine is also scored without them.
		if _, ok := shape.Methods["no-holiday"]; shape.Holidays == 0 || !ok {
			t.Errorf("%q: %d holiday days, no-holiday scored %v; want some, and scored", args, shape.Holidays, ok)
		}
		for _, name := range []string{"naive", "snaive", "engine", "topdown"} {
			m, ok := shape.Methods[name]
			if !ok {
				t.Errorf("%q: no method %s in %v", args, name, shape.Methods)
				continue
			}
			for _, k := range metrics {
				if _, ok := m[k]; !ok {
					t.Errorf("%q: method %s has no %s", args, name, k)
				}
			}
		}
		// With -top-down the engine's figures are those of what forecast run -top-down does.
		if e, ok := shape.Methods["topdown"]; ok && shape.Engine["wape"] != nil && e["wape"] != *shape.Engine["wape"] {
			t.Errorf("%q: engine WAPE %v, methods.topdown %v; want the same", args, *shape.Engine["wape"], e["wape"])
		}
	}
}

// -as-of names the same first forecast week in forecast run and forecast backtest (there, of the latest
// origin, the others -step weeks before it), and -origin-dates picks exactly the origins it names.
func TestForecastBacktestOrigins(t *testing.T) {
	ch := seedSmallRegion(t) // history up to the week of 2026-11-16
	stdout, stderr, err := runCmd(t, "forecast", "run", "--ch-dsn", ch, "--as-of", "2026-10-07", "--horizon", "2")
	if err != nil {
		t.Fatalf("forecast run: %v (%s)", err, stderr)
	}
	m := regexp.MustCompile(`(?m)^forecast: +2 weeks (\S+) … (\S+);`).FindStringSubmatch(stdout)
	if m == nil || m[1] != "2026-10-05" {
		t.Fatalf("forecast run --as-of 2026-10-07 printed\n%s\nwant 2 weeks from 2026-10-05", stdout)
	}
	backtest := func(args ...string) backtestJSON {
		t.Helper()
		args = append([]string{"forecast", "backtest", "--json", "--horizon", "2", "--ch-dsn", ch}, args...)
		stdout, stderr, err := runCmd(t, args...)
		if err != nil {
			t.Fatalf("%q: %v (%s)", args, err, stderr)
		}
		var got backtestJSON
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatalf("%q printed %q: %v", args, stdout, err)
		}
		return got
	}
	got := backtest("--as-of", "2026-10-07", "--origins", "2", "--step", "3")
	if want := []string{m[1], "2026-09-14"}; !slices.Equal(got.OriginWeeks, want) || got.Origins != 2 {
		t.Errorf("backtest --as-of 2026-10-07: %d origins forecasting from %v; want %v, the first as forecast run's", got.Origins,
			got.OriginWeeks, want)
	}

	got = backtest("--origin-dates", "2026-06-01,2026-08-03")
	if want := []string{"2026-08-03", "2026-06-01"}; !slices.Equal(got.OriginWeeks, want) || got.Origins != 2 || got.Step != 0 {
		t.Errorf("backtest --origin-dates 2026-06-01,2026-08-03: %d origins (step %d) forecasting from %v; want %v",
			got.Origins, got.Step, got.OriginWeeks, want)
	}
	stdout, stderr, err = runCmd(t, "forecast", "backtest", "--horizon", "2", "--origin-dates", "2026-08-03,2026-06-01", "--ch-dsn", ch)
	if err != nil || !strings.Contains(stdout, "\norigins (last week seen): 2026-07-27, 2026-05-25; horizon 2 weeks\n") {
		t.Errorf("backtest --origin-dates table: %v (%s)\n%s\nwant the origins last seen 2026-07-27 and 2026-05-25", err, stderr, stdout)
	}
	for _, args := range [][]string{{"--origin-dates", "2026-11-16"}, {"--as-of", "2026-11-16"}} {
		_, stderr, err := runCmd(t, append([]string{"forecast", "backtest", "--horizon", "2", "--ch-dsn", ch}, args...)...)
		if !errors.Is(err, ErrUsage) || !strings.Contains(stderr, "ordercast forecast backtest: "+args[0][1:]+": 2026-11-16: the history has the weeks") {
			t.Errorf("backtest %q = %v (%s); want a usage error: the history has no 2 weeks from 2026-11-16", args, err, stderr)
		}
	}
}

// The backtest table of a small fixed dataset, seconds masked: go test ./cmd/ordercast/ -run
// BacktestGolden -update rewrites testdata/backtest_small.golden.
func TestForecastBacktestGolden(t *testing.T) {
	ch := storestest.MigratedClickHouseDSN(t)
	if _, stderr, err := runCmd(t, "import", "history", "--csv", filepath.Join("testdata", "backtest_small.csv"),
		"--outlet", "store", "--brand", "dept", "--date", "week", "--qty", "sales", "--period", "week",
		"--dataset", "small", "--ch-dsn", ch); err != nil {
		t.Fatalf("import: %v (%s)", err, stderr)
	}
	stdout, stderr, err := runCmd(t, "forecast", "backtest", "--dataset", "small", "--top-down", "--ch-dsn", ch)
	if err != nil {
		t.Fatalf("forecast backtest: %v (%s)", err, stderr)
	}
	got := regexp.MustCompile(`(?m) +[0-9.]+$`).ReplaceAllString(stdout, "   <secs>")
	golden := filepath.Join("testdata", "backtest_small.golden")
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("forecast backtest printed\n%s\nwant (%s)\n%s", got, golden, want)
	}
}

// The real histories, imported into a test database through the CLI, backtest through ClickHouse to
// the same figures as the pure engine (forecast's TestRealDataBacktest) and R (BACKTEST.md).
func TestForecastBacktestImportedDatasets(t *testing.T) {
	walmart := forecasttest.DataFile(t, "walmart", "train.csv") // ORDERCAST_DATA_DIR, or ../shared/data beside the module
	m5 := forecasttest.DataFile(t, "m5", "sales_daily.csv")
	ch := storestest.MigratedClickHouseDSN(t)
	for _, tt := range []struct {
		dataset                        string
		importArgs                     []string
		series                         int
		naive, snaive, engine, topdown float64
	}{
		{"walmart", []string{"--csv", walmart, "--outlet", "Store", "--brand", "Dept",
			"--date", "Date", "--qty", "Weekly_Sales", "--period", "week"}, 2287, 0.1296, 0.1103, 0.07354, 0.07565},
		{"m5", []string{"--csv", m5, "--outlet", "store_id", "--brand", "item_id",
			"--date", "date", "--qty", "sales"}, 196, 0.2838, 0.3758, 0.22909, 0.23202},
	} {
		t.Run(tt.dataset, func(t *testing.T) {
			args := append([]string{"import", "history", "--dataset", tt.dataset, "--ch-dsn", ch}, tt.importArgs...)
			if _, stderr, err := runCmd(t, args...); err != nil {
				t.Fatalf("import %s: %v (%s)", tt.dataset, err, stderr)
			}
			stdout, stderr, err := runCmd(t, "forecast", "backtest", "--json", "--top-down", "--dataset", tt.dataset, "--ch-dsn", ch)
			if err != nil {
				t.Fatalf("forecast backtest: %v (%s)", err, stderr)
			}
			var got backtestJSON
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatal(err)
			}
			if got.Series != tt.series {
				t.Errorf("%s: %d series; want %d", tt.dataset, got.Series, tt.series)
			}
			for _, m := range []struct {
				name string
				got  jsonFloat
				want float64
			}{{"naive", got.Methods["naive"].WAPE, tt.naive}, {"snaive", got.Methods["snaive"].WAPE, tt.snaive},
				{"engine", got.Methods["engine"].WAPE, tt.engine}, {"topdown", got.Methods["topdown"].WAPE, tt.topdown},
				{"final (topdown)", got.Engine.WAPE, tt.topdown}} {
				if math.Abs(float64(m.got)-m.want) > 0.00005 {
					t.Errorf("%s %s WAPE = %.5f; want %.5f", tt.dataset, m.name, m.got, m.want)
				}
			}
		})
	}
}

// seedRegion seeds a region of 60 outlets and 20 brands over 104 weeks (2024-11-25 … 2026-11-16) into
// new databases, loads the festival calendar and returns the ClickHouse DSN. Its one new product,
// B0014 (class 5), launches on Tuesday 2025-07-29; no other brand of its manufacturer has its class.
func seedRegion(t *testing.T) string {
	t.Helper()
	pg, ch := storestest.MigratedPostgresDSN(t), storestest.MigratedClickHouseDSN(t)
	_, stderr, err := runCmd(t, "seed", "--outlets", "60", "--brands", "20", "--weeks", "104", "--as-of", "2026-11-22",
		"--pg-dsn", pg, "--ch-dsn", ch)
	if err != nil {
		t.Fatalf("seed: %v (%s)", err, stderr)
	}
	stdout, stderr, err := runCmd(t, "forecast", "calendar", "--ch-dsn", ch, "--from", "2024", "--to", "2027")
	if err != nil || !strings.Contains(stdout, "60 holiday days of 2024–2027") {
		t.Fatalf("forecast calendar: %q, %v (%s)", stdout, err, stderr)
	}
	return ch
}

// A run from the week before a new product's launch forecasts it from like items at the outlets
// that carry them, and brand and total models, top-down, still add up exactly.
func TestForecastRunTopDownAndNewProduct(t *testing.T) {
	ch := seedRegion(t)
	stdout, stderr, err := runCmd(t, "forecast", "run", "--top-down", "--ch-dsn", ch, "--as-of", "2025-07-21")
	if err != nil {
		t.Fatalf("forecast run: %v (%s)", err, stderr)
	}
	models := regexp.MustCompile(`(?m)^models: +outlets: .*; brands: (.*); total: (\S+); new product B0014: (\d+) outlets, ` +
		`like B0002,B0004,B0007,B0015 \(no earlier launch: sells like its like items\)$`).FindStringSubmatch(stdout)
	if models == nil || !strings.Contains(stdout, "holidays) in the calendar table, in the brand and total regressions") {
		t.Fatalf("forecast run printed\n%s\nwant the brands' and the total's models, B0014 from its like items of class 5 "+
			"and the calendar in the regressions", stdout)
	}

	// The brand rows carry the models the summary counts.
	conn := storestest.OpenClickHouse(t, ch)
	rows, err := conn.Query(context.Background(), "SELECT model, toUInt64(uniqExact(brand)) FROM forecasts WHERE level = 'brand' "+
		"AND brand != 'B0014' GROUP BY model ORDER BY model")
	if err != nil {
		t.Fatal(err)
	}
	count := make(map[string]uint64)
	for rows.Next() {
		var model string
		var n uint64
		if err := rows.Scan(&model, &n); err != nil {
			t.Fatal(err)
		}
		count[model] = n
	}
	rows.Close()
	for _, part := range strings.Split(models[1], ", ") {
		var model string
		var n uint64
		if _, err := fmt.Sscanf(strings.Replace(part, " ×", " ", 1), "%s %d", &model, &n); err != nil || count[model] != n {
			t.Errorf("summary %q: %d brand rows with model %s (%v)", part, count[model], model, count)
		}
	}
	var total string
	if err := conn.QueryRow(context.Background(), "SELECT any(model) FROM forecasts WHERE level = 'total'").Scan(&total); err != nil || total != models[2] {
		t.Errorf("total model %q, %v; want %q as printed", total, err, models[2])
	}

	weekly := readForecastRows(t, ch, "SELECT level, outlet, brand, toString(week), point, lo80, hi80 FROM forecasts")
	checkLevelsAddUp(t, "forecasts", weekly)
	var outlets, before, after int
	for _, r := range weekly {
		if r.level != "outlet" || r.brand != "B0014" {
			continue
		}
		switch {
		case r.week == "2025-07-21":
			outlets++
			if r.point != 0 {
				t.Errorf("B0014 at %s in the week before its launch: %v; want 0", r.outlet, r.point)
			}
			before++
		case r.point > 0:
			after++
		}
	}
	if n := itoa(outlets); n != models[3] || after == 0 {
		t.Errorf("B0014: %d outlets in the week before launch, %d positive forecasts after; want the %s outlets printed, some positive",
			outlets, after, models[3])
	}
	var like uint64
	if err := conn.QueryRow(context.Background(), "SELECT count() FROM forecasts WHERE brand = 'B0014' AND level = 'outlet' "+
		"AND model = 'like-items:B0002,B0004,B0007,B0015'").Scan(&like); err != nil || int(like) != 5*outlets {
		t.Errorf("%d outlet rows of B0014 from like items, %v; want %d", like, err, 5*outlets)
	}
}

// A run two weeks after a new product's launch sets its total from its like items, scaled by what it
// sold, says so, and stores its outlets' forecasts under the model that set them.
func TestForecastRunAfterLaunch(t *testing.T) {
	ch := seedRegion(t)
	stdout, stderr, err := runCmd(t, "forecast", "run", "--ch-dsn", ch, "--as-of", "2025-08-11", "--horizon", "4")
	if err != nil {
		t.Fatalf("forecast run: %v (%s)", err, stderr)
	}
	line := regexp.MustCompile(`new product B0014 on sale 2 weeks: sold (\d+) at the (\d+) outlets of its like items (\S+), where they said (\d+) \(([0-9.]+)×\)`).
		FindStringSubmatch(stdout)
	if line == nil {
		t.Fatalf("forecast run printed\n%s\nwant B0014 scaled by its first two weeks' sales", stdout)
	}
	conn := storestest.OpenClickHouse(t, ch)
	var rows, outlets uint64
	var total float64
	if err := conn.QueryRow(context.Background(), "SELECT count(), uniqExact(outlet), sum(point) FROM forecasts "+
		"WHERE brand = 'B0014' AND level = 'outlet' AND model = 'after-launch:"+line[3]+"'").Scan(&rows, &outlets, &total); err != nil {
		t.Fatal(err)
	}
	if rows == 0 || rows != 4*outlets || !(total > 0) {
		t.Errorf("B0014's outlet rows after launch: %d rows at %d outlets, %v in all; want 4 weeks of each outlet, some demand",
			rows, outlets, total)
	}
}

// TestRunReportNamesHolidaySpread: the run's calendar line says when holidays of an unknown split
// widened the brands' intervals, counting only the weeks kept (after the gap to the as-of), and says
// nothing of it otherwise.
func TestRunReportNamesHolidaySpread(t *testing.T) {
	rep := forecast.RunReport{CalendarDays: 30, Holidays: 3, HorizonGap: 1,
		Calibration: forecast.Calibration{Outlet: []float64{1, 1, 1}, Brand: []float64{1, 1, 1}, Total: []float64{1, 1, 1},
			Festival: [][]float64{{0.2, 0.05, 0}, {0, 0.08, 0}}}}
	var out strings.Builder
	printRunReport(&out, rep)
	if want := "brands' intervals widened in 1 of the weeks forecast, by up to 8.0%, for holidays the history saw only together"; !strings.Contains(out.String(), want) {
		t.Errorf("run report:\n%s\nwant it to say %q", out.String(), want)
	}
	rep.Calibration.Festival = nil
	out.Reset()
	printRunReport(&out, rep)
	if strings.Contains(out.String(), "widened") {
		t.Errorf("run report without a holiday spread:\n%s\nwant no word of widening", out.String())
	}
}

// TestRunReportNamesTheYearsSwing: the run's calendar line says what cycle through the year the
// engine divided the series by, and nothing of it when there was none.
func TestRunReportNamesTheYearsSwing(t *testing.T) {
	th := 2 * math.Pi * 196 / 365.25 // 15 July
	rep := forecast.RunReport{CalendarDays: 30, Holidays: 3,
		Annual: forecast.AnnualCycle{Cos: math.Log(1.05) * math.Cos(th), Sin: math.Log(1.05) * math.Sin(th)}}
	var out strings.Builder
	printRunReport(&out, rep)
	if want := "the year's swing from the total, +5.0% around 15 July and -4.8% half a year later, divided out"; !strings.Contains(out.String(), want) {
		t.Errorf("run report:\n%s\nwant it to say %q", out.String(), want)
	}
	rep.Annual = forecast.AnnualCycle{}
	out.Reset()
	printRunReport(&out, rep)
	if strings.Contains(out.String(), "swing") {
		t.Errorf("run report without a cycle:\n%s\nwant no word of a swing", out.String())
	}
}
