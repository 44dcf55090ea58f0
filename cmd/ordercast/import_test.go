package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/forecast/historycsv"
)

func noEnv(string) string { return "" }

// runCmd runs the command line args and returns its stdout, stderr and error.
func runCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := Run(context.Background(), args, &stdout, &stderr, noEnv)
	return stdout.String(), stderr.String(), err
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const walmartCSV = "Store,Dept,Date,Weekly_Sales,IsHoliday\n" +
	"1,1,2010-02-05,24924.5,FALSE\n" +
	"1,1,2010-02-12,46039.5,TRUE\n" +
	"1,2,2010-02-05,-10,FALSE\n" +
	"2,1,2010-02-12,100,FALSE\n"

func walmartArgs(dsn, csv, dataset string) []string {
	return []string{"import", "history", "--csv", csv, "--outlet", "Store", "--brand", "Dept", "--date", "Date",
		"--qty", "Weekly_Sales", "--period", "week", "--dataset", dataset, "--ch-dsn", dsn}
}

func TestImportHistoryCommand(t *testing.T) {
	dsn := storestest.MigratedClickHouseDSN(t)
	conn := storestest.OpenClickHouse(t, dsn)
	good := writeFile(t, "train.csv", walmartCSV)
	sums := func() (n uint64, total float64) {
		t.Helper()
		if err := conn.QueryRow(context.Background(), "SELECT count(), sum(delivered) FROM sales WHERE dataset = 'walmart'").
			Scan(&n, &total); err != nil {
			t.Fatal(err)
		}
		return n, total
	}

	summary := regexp.MustCompile(`^imported 4 rows of .*train\.csv into dataset walmart: 2 outlets, 2 brands, ` +
		`2010-02-01 to 2010-02-08 \(weekly\), [0-9.]+s, [0-9]+ rows/s\n$`)
	for i := range 2 { // the second import replaces the first
		stdout, stderr, err := runCmd(t, walmartArgs(dsn, good, "walmart")...)
		if err != nil {
			t.Fatalf("import #%d = %v; stderr %s", i+1, err, stderr)
		}
		if !summary.MatchString(stdout) {
			t.Errorf("import #%d printed %q; want it to match %s", i+1, stdout, summary)
		}
		if stderr != "" {
			t.Errorf("import #%d wrote %q to stderr, which is not a terminal; want nothing", i+1, stderr)
		}
		if n, total := sums(); n != 4 || total != 71054 {
			t.Errorf("after import #%d sales of walmart = %d rows, sum %v; want 4 rows, sum 71054", i+1, n, total)
		}
	}

	bad := writeFile(t, "bad.csv", walmartCSV+"2,2,2010-02-12,abc,FALSE\n")
	_, _, err := runCmd(t, walmartArgs(dsn, bad, "walmart")...)
	var pe *historycsv.ParseError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), `bad.csv:6: column "Weekly_Sales": "abc" is not a number; nothing was imported, dataset walmart is unchanged`) {
		t.Errorf("import of bad.csv = %v; want a parse error naming line 6, the column and the value, and that nothing changed", err)
	}
	if n, total := sums(); n != 4 || total != 71054 {
		t.Errorf("after the failed import sales of walmart = %d rows, sum %v; want them unchanged: 4 rows, sum 71054", n, total)
	}

	args := walmartArgs(dsn, good, "walmart")
	for i := range args {
		if args[i] == "--qty" {
			args[i+1] = "Weekly_Sale"
		}
	}
	_, _, err = runCmd(t, args...)
	var he *historycsv.HeaderError
	if !errors.As(err, &he) || !strings.Contains(err.Error(), `has no column "Weekly_Sale" (its columns: "Store", "Dept", "Date", "Weekly_Sales", "IsHoliday")`) {
		t.Errorf("import with --qty Weekly_Sale = %v; want a header error naming the column and listing the header", err)
	}

	daily := writeFile(t, "daily.csv", "store_id;item_id;dept_id;date;sales\nCA_1;FOODS_1;F;29.01.2011;3\nCA_1;FOODS_2;F;30.01.2011;0\n")
	stdout, _, err := runCmd(t, "import", "history", "--csv", daily, "--outlet", "store_id", "--brand", "item_id",
		"--date", "date", "--qty", "sales", "--date-format", "02.01.2006", "--comma", ";", "--dataset", "m5_tiny", "--ch-dsn", dsn)
	if err != nil || !strings.Contains(stdout, "2 rows") || !strings.Contains(stdout, "2011-01-29 to 2011-01-30 (daily)") {
		t.Errorf("daily import = %q, %v; want 2 rows from 2011-01-29 to 2011-01-30", stdout, err)
	}
	if n, _ := sums(); n != 4 {
		t.Errorf("after importing m5_tiny, walmart has %d rows; want 4", n)
	}
}

func TestImportHistoryCommandSchemaBehind(t *testing.T) {
	dsn := storestest.NewClickHouseDSN(t) // created, never migrated
	_, _, err := runCmd(t, walmartArgs(dsn, writeFile(t, "train.csv", walmartCSV), "walmart")...)
	if !errors.Is(err, stores.ErrSchemaBehind) {
		t.Errorf("import into an unmigrated database = %v; want %v", err, stores.ErrSchemaBehind)
	}
}

func TestImportHistoryCommandMissingFile(t *testing.T) {
	_, _, err := runCmd(t, walmartArgs(stores.DefaultClickHouseDSN, filepath.Join(t.TempDir(), "nope.csv"), "walmart")...)
	if !errors.Is(err, os.ErrNotExist) || errors.Is(err, ErrUsage) {
		t.Errorf("import of a missing file = %v; want %v, not a usage error", err, os.ErrNotExist)
	}
}

func TestImportUsage(t *testing.T) {
	csv := "train.csv"
	full := walmartArgs(stores.DefaultClickHouseDSN, csv, "walmart")
	without := func(flag string) []string {
		var out []string
		for i := 0; i < len(full); i++ {
			if full[i] == flag {
				i++
				continue
			}
			out = append(out, full[i])
		}
		return out
	}
	replace := func(flag, value string) []string {
		out := append([]string(nil), full...)
		for i := range out {
			if out[i] == flag {
				out[i+1] = value
			}
		}
		return out
	}
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{"no kind", []string{"import"}, "say what to import"},
		{"unknown kind", []string{"import", "orders"}, `unknown kind of import "orders"`},
		{"no csv", without("--csv"), "-csv is required"},
		{"no outlet", without("--outlet"), "-outlet is required"},
		{"no qty", without("--qty"), "-qty is required"},
		{"no dataset", without("--dataset"), "-dataset is required"},
		{"live dataset", replace("--dataset", "live"), "-dataset: clickhouse: invalid dataset name"},
		{"dataset with a quote", replace("--dataset", "a'b"), "-dataset: clickhouse: invalid dataset name"},
		{"period", replace("--period", "month"), `-period "month": want day or week`},
		{"comma", append(append([]string(nil), full...), "--comma", ";;"), `-comma ";;"`},
		{"dsn", replace("--ch-dsn", "http://127.0.0.1:8123"), "-ch-dsn: want clickhouse://"},
		{"unknown flag", append(append([]string(nil), full...), "--pg-dsn", "postgres://x"), "flag provided but not defined: -pg-dsn"},
		{"argument", append(append([]string(nil), full...), "extra"), `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, err := runCmd(t, tt.args...)
			if !errors.Is(err, ErrUsage) || !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("Run(%q) = %v, stderr %q; want %v and %q in stderr", tt.args, err, stderr, ErrUsage, tt.wantStderr)
			}
		})
	}
}

func TestImportHelp(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"import", "-h"}, "history    load sales history"},
		{[]string{"help", "import"}, "history    load sales history"},
		{[]string{"import", "history", "-h"}, "Usage: ordercast import history [flags]"},
		{[]string{"help"}, "import     load sales history (ClickHouse) or arrival plans (PostgreSQL) from a CSV file"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdout, _, err := runCmd(t, tt.args...)
			if (err != nil && !errors.Is(err, flag.ErrHelp)) || !strings.Contains(stdout, tt.want) {
				t.Errorf("Run(%q) = %v, stdout %q; want %q in stdout", tt.args, err, stdout, tt.want)
			}
		})
	}
}
