package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/forecast/historycsv"
)

// feastDays are the days of a moving holiday of a synthetic shop, a few weeks apart in each year
// (as Easter or the Spring Festival move): the week of the year cannot find its week.
var feastDays = []string{"2022-04-20", "2023-03-15", "2024-04-10", "2025-03-26"}

// feastHistoryCSV is the weekly history of a shop of 8 outlets × 3 brands whose demand triples in the
// week of the feast and rises by half in the week before it, around a level of 20 with a little
// deterministic noise.
func feastHistoryCSV() string {
	feastWeek := make(map[time.Time]bool)
	for _, d := range feastDays {
		t, _ := time.Parse(time.DateOnly, d)
		feastWeek[t.AddDate(0, 0, -int(t.Weekday()+6)%7)] = true
	}
	var b strings.Builder
	b.WriteString("outlet,brand,week,qty\n")
	first := time.Date(2022, 1, 3, 0, 0, 0, 0, time.UTC)
	for w := range 182 { // 2022-01-03 … 2025-06-30
		week := first.AddDate(0, 0, 7*w)
		factor := 1.0
		switch {
		case feastWeek[week]:
			factor = 3
		case feastWeek[week.AddDate(0, 0, 7)]:
			factor = 1.5
		}
		for o := range 8 {
			for br := range 3 {
				level := 20 + float64((o*7+br*3+w*5)%5) - 2
				fmt.Fprintf(&b, "O%d,B%d,%s,%.0f\n", o, br, week.Format(time.DateOnly), level*factor)
			}
		}
	}
	return b.String()
}

// TestImportHolidaysChangesTheForecast imports a shop's history, then its calendar, and shows that a
// forecast of the feast's weeks follows the calendar: without it the engine cannot know the feast's
// week, with it the error of the weeks around the feast falls by far.
func TestImportHolidaysChangesTheForecast(t *testing.T) {
	dsn := storestest.MigratedClickHouseDSN(t)
	hist := writeFile(t, "shop.csv", feastHistoryCSV())
	if _, stderr, err := runCmd(t, "import", "history", "-csv", hist, "-outlet", "outlet", "-brand", "brand", "-date", "week",
		"-qty", "qty", "-period", "week", "-dataset", "shop", "-ch-dsn", dsn); err != nil {
		t.Fatalf("import history: %v (%s)", err, stderr)
	}
	// Origins two weeks before the 2025 feast's week and in it: 4 weeks ahead hold the feast.
	wape := func() float64 {
		t.Helper()
		stdout, stderr, err := runCmd(t, "forecast", "backtest", "-dataset", "shop", "-origin-dates", "2025-03-10,2025-03-24",
			"-horizon", "4", "-json", "-ch-dsn", dsn)
		if err != nil {
			t.Fatalf("forecast backtest: %v (%s)", err, stderr)
		}
		var res struct {
			Engine struct{ WAPE float64 }
		}
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatalf("forecast backtest -json: %v in %s", err, stdout)
		}
		return res.Engine.WAPE
	}
	without := wape()

	var cal strings.Builder
	cal.WriteString("date,name\n")
	for _, d := range feastDays {
		fmt.Fprintf(&cal, "%s,Feast\n", d)
	}
	fmt.Fprintf(&cal, "2023-07-04,Independence Day\n2024-07-04,Independence Day\n") // a holiday that moves nothing
	calFile := writeFile(t, "holidays.csv", cal.String())
	stdout, stderr, err := runCmd(t, "import", "holidays", "-dataset", "shop", "-csv", calFile, "-ch-dsn", dsn)
	if err != nil {
		t.Fatalf("import holidays: %v (%s)", err, stderr)
	}
	if want := "imported 6 holiday days of 2 holidays from " + calFile + " into dataset shop, 2022-04-20 to 2025-03-26\n"; stdout != want {
		t.Errorf("import holidays printed %q; want %q", stdout, want)
	}
	with := wape()
	t.Logf("engine WAPE around the feast: %.4f without the calendar, %.4f with it", without, with)
	if !(with < 0.5*without) {
		t.Errorf("engine WAPE around the feast: %.4f with the calendar, %.4f without; want it at most half", with, without)
	}

	// A bad calendar is refused with its line and column, and the imported one stays.
	bad := writeFile(t, "bad.csv", "date,name\n2025-03-26,Feast\n2025-02-30,Feast\n")
	_, _, err = runCmd(t, "import", "holidays", "-dataset", "shop", "-csv", bad, "-ch-dsn", dsn)
	var pe *historycsv.ParseError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), `bad.csv:3: column "date": "2025-02-30" is not a date like 2006-01-02; `+
		`nothing was imported, the holidays of dataset shop are unchanged`) {
		t.Errorf("import of bad.csv = %v; want a parse error naming line 3 and the column, and that nothing changed", err)
	}
	dup := writeFile(t, "dup.csv", "date,name\n2025-03-26,Feast\n2025-03-26,Feast\n")
	if _, _, err = runCmd(t, "import", "holidays", "-dataset", "shop", "-csv", dup, "-ch-dsn", dsn); err == nil ||
		!strings.Contains(err.Error(), `dup.csv:3: column "name": "Feast" repeats line 2`) {
		t.Errorf("import of dup.csv = %v; want the repeated row named", err)
	}
	empty := writeFile(t, "empty.csv", "date,name\n")
	if _, _, err = runCmd(t, "import", "holidays", "-dataset", "shop", "-csv", empty, "-ch-dsn", dsn); err == nil ||
		!strings.Contains(err.Error(), "names no holiday; nothing was imported") {
		t.Errorf("import of empty.csv = %v; want it refused", err)
	}
	if again := wape(); again != with {
		t.Errorf("engine WAPE after refused imports = %.4f; want %.4f as before them", again, with)
	}
}

func TestImportHolidaysUsage(t *testing.T) {
	full := []string{"import", "holidays", "-dataset", "shop", "-csv", "h.csv", "-ch-dsn", stores.DefaultClickHouseDSN}
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{"no csv", full[:4], "-csv is required"},
		{"no dataset", append([]string{"import", "holidays"}, full[4:6]...), "-dataset is required"},
		{"bad dataset", []string{"import", "holidays", "-dataset", "a b", "-csv", "h.csv"}, "-dataset: clickhouse: invalid dataset name"},
		{"format", append(append([]string(nil), full...), "-from", "ics"), `-from "ics": want calendar, m5-calendar or walmart-flags`},
		{"dsn", append(append([]string(nil), full[:6]...), "-ch-dsn", "http://x"), "-ch-dsn: want clickhouse://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, err := runCmd(t, tt.args...)
			if !errors.Is(err, ErrUsage) || !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("Run(%q) = %v, stderr %q; want %v and %q in stderr", tt.args, err, stderr, ErrUsage, tt.wantStderr)
			}
		})
	}
	stdout, _, err := runCmd(t, "import", "-h")
	if !errors.Is(err, flag.ErrHelp) && err != nil || !strings.Contains(stdout, "holidays   load a dataset's holiday calendar") {
		t.Errorf("import -h = %v, %q; want holidays listed", err, stdout)
	}
}
