package clickhouse_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/forecast/clickhouse"
	"github.com/ordercast/ordercast/forecast/historycsv"
)

// salesOf returns next for ImportHistory over sales, then io.EOF.
func salesOf(sales []forecast.Sale) func() (forecast.Sale, error) {
	i := 0
	return func() (forecast.Sale, error) {
		if i == len(sales) {
			return forecast.Sale{}, io.EOF
		}
		i++
		return sales[i-1], nil
	}
}

// failAfter returns next that yields sales, then err.
func failAfter(sales []forecast.Sale, err error) func() (forecast.Sale, error) {
	next := salesOf(sales)
	return func() (forecast.Sale, error) {
		s, e := next()
		if e == io.EOF {
			return forecast.Sale{}, err
		}
		return s, e
	}
}

// genSales returns n sales over outlets × brands, one per day from start, each of qty (whole or
// half units, so that sums are exact).
func genSales(n, outlets, brands int, start time.Time, qty func(i int) float64) []forecast.Sale {
	out := make([]forecast.Sale, n)
	for i := range out {
		q := qty(i)
		out[i] = forecast.Sale{
			Day:    start.AddDate(0, 0, i/(outlets*brands)),
			Outlet: fmt.Sprintf("O%d", i%outlets), Brand: fmt.Sprintf("B%d", (i/outlets)%brands),
			Requested: q, Granted: q, Delivered: q,
		}
	}
	return out
}

var jan1 = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// summary is what a dataset holds in sales.
type summary struct {
	Rows                          uint64
	Requested, Granted, Delivered float64
	Batches                       uint64
	First, Last                   string
}

func salesSummary(t *testing.T, conn driver.Conn, dataset string) summary {
	t.Helper()
	var s summary
	err := conn.QueryRow(context.Background(), `SELECT count(), sum(requested), sum(granted), sum(delivered),
		uniqExact(batch_id), toString(min(day)), toString(max(day)) FROM sales WHERE dataset = ?`, dataset).
		Scan(&s.Rows, &s.Requested, &s.Granted, &s.Delivered, &s.Batches, &s.First, &s.Last)
	if err != nil {
		t.Fatalf("read sales of %s: %v", dataset, err)
	}
	if s.Rows == 0 {
		s.First, s.Last = "", ""
	}
	return s
}

func count(t *testing.T, conn driver.Conn, query string, args ...any) uint64 {
	t.Helper()
	var n uint64
	if err := conn.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestImportHistoryRoundTrip(t *testing.T) {
	conn := storestest.ClickHouse(t)
	store := clickhouse.New(conn)
	ctx := context.Background()
	const csv = "Store,Dept,Date,Weekly_Sales,IsHoliday\n" +
		"1,1,2010-02-05,24924.5,FALSE\n" +
		"1,1,2010-02-12,46039.5,TRUE\n" +
		"1,2,2010-02-05,-10,FALSE\n" +
		"2,1,2010-02-12,100,FALSE\n"
	r, err := historycsv.NewReader(strings.NewReader(csv), historycsv.Options{
		File: "train.csv", Outlet: "Store", Brand: "Dept", Date: "Date", Qty: "Weekly_Sales", Period: historycsv.Weekly,
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := store.ImportHistory(ctx, clickhouse.ImportMeta{Dataset: "walmart", Period: "week", Source: "train.csv"}, r.Read)
	if err != nil {
		t.Fatalf("ImportHistory = %v", err)
	}
	if !res.Replaced || res.Rows != 4 || res.Outlets != 2 || res.Brands != 2 ||
		res.FirstDay != time.Date(2010, 2, 1, 0, 0, 0, 0, time.UTC) || res.LastDay != time.Date(2010, 2, 8, 0, 0, 0, 0, time.UTC) {
		t.Errorf("ImportHistory = %+v; want 4 rows, 2 outlets, 2 brands, 2010-02-01..2010-02-08", res)
	}

	got := salesSummary(t, conn, "walmart")
	want := summary{Rows: 4, Requested: 71054, Granted: 71054, Delivered: 71054, Batches: 1, First: "2010-02-01", Last: "2010-02-08"}
	if got != want {
		t.Errorf("sales of walmart = %+v; want %+v", got, want)
	}

	// Per series, per week, and the fixed columns of an import.
	rows, err := conn.Query(ctx, `SELECT outlet, brand, toString(day), delivered, source, batch_id, limited, limit_qty, order_id
		FROM sales WHERE dataset = 'walmart' ORDER BY outlet, brand, day`)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for rows.Next() {
		var outlet, brand, day, source, batch string
		var delivered, limitQty float64
		var limited uint8
		var orderID uint64
		if err := rows.Scan(&outlet, &brand, &day, &delivered, &source, &batch, &limited, &limitQty, &orderID); err != nil {
			t.Fatal(err)
		}
		if source != "import" || batch != res.BatchID || limited != 0 || limitQty != 0 || orderID != 0 {
			t.Errorf("row %s/%s/%s: source %q batch %q limited %d limit %v order %d; want import, %q, 0, 0, 0",
				outlet, brand, day, source, batch, limited, limitQty, orderID, res.BatchID)
		}
		lines = append(lines, fmt.Sprintf("%s/%s/%s=%g", outlet, brand, day, delivered))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	wantLines := "1/1/2010-02-01=24924.5 1/1/2010-02-08=46039.5 1/2/2010-02-01=-10 2/1/2010-02-08=100"
	if g := strings.Join(lines, " "); g != wantLines {
		t.Errorf("sales rows = %s; want %s", g, wantLines)
	}

	var period, source, first, last string
	var n, outlets, brands uint64
	if err := conn.QueryRow(ctx, `SELECT period, source, rows, outlets, brands, toString(first_day), toString(last_day)
		FROM datasets FINAL WHERE dataset = 'walmart'`).Scan(&period, &source, &n, &outlets, &brands, &first, &last); err != nil {
		t.Fatalf("read datasets: %v", err)
	}
	if period != "week" || source != "train.csv" || n != 4 || outlets != 2 || brands != 2 || first != "2010-02-01" || last != "2010-02-08" {
		t.Errorf("datasets row = %s %s %d %d %d %s %s; want week train.csv 4 2 2 2010-02-01 2010-02-08",
			period, source, n, outlets, brands, first, last)
	}
	if got := count(t, conn, "SELECT count() FROM outlets_dim FINAL WHERE dataset = 'walmart' AND outlet IN ('1', '2')"); got != 2 {
		t.Errorf("outlets_dim has %d of the outlets 1 and 2; want 2", got)
	}
	if got := count(t, conn, "SELECT count() FROM brands_dim FINAL WHERE dataset = 'walmart' AND brand IN ('1', '2')"); got != 2 {
		t.Errorf("brands_dim has %d of the brands 1 and 2; want 2", got)
	}
	if got := count(t, conn, "SELECT count() FROM sales_staging"); got != 0 {
		t.Errorf("sales_staging keeps %d rows after the import; want 0", got)
	}
}

func TestImportHistoryAtomicFailure(t *testing.T) {
	conn := storestest.ClickHouse(t)
	store := clickhouse.New(conn)
	ctx := context.Background()
	meta := clickhouse.ImportMeta{Dataset: "m5", Period: "day", Source: "first.csv", BatchRows: 1000}
	first := genSales(2500, 7, 5, jan1, func(i int) float64 { return float64(i % 3) })
	firstRes, err := store.ImportHistory(ctx, meta, salesOf(first))
	if err != nil {
		t.Fatal(err)
	}
	before := salesSummary(t, conn, "m5")
	if before.Rows != 2500 {
		t.Fatalf("first import: %d rows; want 2500", before.Rows)
	}

	// Several blocks reach sales_staging before the bad line: the server's squashing of small blocks
	// into parts of a million rows is turned down to a thousand.
	partsOf1000 := ch.Context(ctx, ch.WithSettings(ch.Settings{"min_insert_block_size_rows": 1000}))
	second := genSales(5500, 11, 9, jan1.AddDate(1, 0, 0), func(i int) float64 { return 1 })
	bad := &historycsv.ParseError{File: "second.csv", Line: 5502, Column: "sales", Value: "abc", Reason: "is not a number"}
	// stagedBeforeFailing fails like failAfter, after checking that blocks were staged.
	stagedBeforeFailing := func(t *testing.T) func() (forecast.Sale, error) {
		next := salesOf(second)
		return func() (forecast.Sale, error) {
			s, err := next()
			if err != io.EOF {
				return s, err
			}
			// The server writes the blocks while it reads the next ones: wait for them.
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				n := count(t, conn, "SELECT count() FROM sales_staging WHERE dataset = 'm5'")
				if n >= 5000 {
					break
				}
				if time.Now().After(deadline) {
					t.Errorf("sales_staging holds %d rows before the bad line; want at least 5000 (5 blocks)", n)
					break
				}
			}
			return forecast.Sale{}, bad
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	defer cancel()
	tests := []struct {
		name string
		ctx  context.Context
		next func() (forecast.Sale, error)
		want error
	}{
		{"parse error after many rows", partsOf1000, stagedBeforeFailing(t), bad},
		{"invalid sale after many rows", ctx, salesOf(append(second[:5000:5000], forecast.Sale{Day: jan1, Outlet: "x"})), clickhouse.ErrInvalidSale},
		{"cancelled", cancelled, func() func() (forecast.Sale, error) {
			next := salesOf(second)
			n := 0
			return func() (forecast.Sale, error) {
				if n++; n == 3000 {
					cancel()
				}
				return next()
			}
		}(), context.Canceled},
		{"empty", ctx, salesOf(nil), clickhouse.ErrEmptyImport},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			meta := meta
			meta.Source = "second.csv"
			res, err := store.ImportHistory(tt.ctx, meta, tt.next)
			if !errors.Is(err, tt.want) || res.Replaced {
				t.Fatalf("ImportHistory = %+v, %v; want %v, not replaced", res, err, tt.want)
			}
			if after := salesSummary(t, conn, "m5"); after != before {
				t.Errorf("after the failed import sales of m5 = %+v; want them unchanged: %+v", after, before)
			}
			if got := count(t, conn, "SELECT count() FROM sales WHERE dataset = 'm5' AND batch_id != ?", firstRes.BatchID); got != 0 {
				t.Errorf("%d rows of the failed import reached sales; want 0", got)
			}
			if got := count(t, conn, "SELECT count() FROM sales_staging"); got != 0 {
				t.Errorf("sales_staging keeps %d rows after the failed import; want 0", got)
			}
			var source string
			if err := conn.QueryRow(ctx, "SELECT source FROM datasets FINAL WHERE dataset = 'm5'").Scan(&source); err != nil || source != "first.csv" {
				t.Errorf("datasets source = %q, %v; want first.csv", source, err)
			}
		})
	}
	var pe *historycsv.ParseError
	_, err = store.ImportHistory(ctx, meta, failAfter(second, bad))
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), `second.csv:5502: column "sales": "abc" is not a number`) {
		t.Errorf("ImportHistory = %v; want the *ParseError and its message", err)
	}
}

// TestImportHistoryStagingLeftovers checks that rows an interrupted import left in sales_staging
// never reach sales.
func TestImportHistoryStagingLeftovers(t *testing.T) {
	conn := storestest.ClickHouse(t)
	store := clickhouse.New(conn)
	ctx := context.Background()
	leftover, err := conn.PrepareBatch(ctx, "INSERT INTO sales_staging (dataset, day, outlet, brand, delivered, batch_id)")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if err := leftover.Append("m5", jan1, "junk", fmt.Sprint(i), 1000.0, "crashed"); err != nil {
			t.Fatal(err)
		}
	}
	if err := leftover.Send(); err != nil {
		t.Fatal(err)
	}
	sales := genSales(500, 5, 5, jan1, func(int) float64 { return 1 })
	if _, err := store.ImportHistory(ctx, clickhouse.ImportMeta{Dataset: "m5", Period: "day"}, salesOf(sales)); err != nil {
		t.Fatal(err)
	}
	if got := salesSummary(t, conn, "m5"); got.Rows != 500 || got.Delivered != 500 {
		t.Errorf("sales of m5 = %+v; want the 500 imported rows summing to 500, without the leftovers", got)
	}
	if got := count(t, conn, "SELECT count() FROM sales_staging"); got != 0 {
		t.Errorf("sales_staging keeps %d rows; want 0", got)
	}
}

func TestImportHistoryIdempotent(t *testing.T) {
	conn := storestest.ClickHouse(t)
	store := clickhouse.New(conn)
	ctx := context.Background()
	sales := genSales(3000, 13, 7, jan1, func(i int) float64 { return float64(i%10) / 2 })
	meta := clickhouse.ImportMeta{Dataset: "ds-1", Period: "day", Source: "same.csv", BatchRows: 1000}
	var sums []summary
	for range 2 {
		if _, err := store.ImportHistory(ctx, meta, salesOf(sales)); err != nil {
			t.Fatal(err)
		}
		s := salesSummary(t, conn, "ds-1")
		s.Batches = 0 // each import has its own batch id
		sums = append(sums, s)
	}
	if sums[0] != sums[1] || sums[0].Rows != 3000 {
		t.Errorf("sales after the first and second import = %+v, %+v; want the same 3000 rows", sums[0], sums[1])
	}
	if got := count(t, conn, "SELECT uniqExact(batch_id) FROM sales WHERE dataset = 'ds-1'"); got != 1 {
		t.Errorf("sales hold %d imports of ds-1; want 1", got)
	}
	if got := count(t, conn, "SELECT count() FROM datasets FINAL WHERE dataset = 'ds-1'"); got != 1 {
		t.Errorf("datasets has %d rows for ds-1; want 1", got)
	}
	if got := count(t, conn, "SELECT count() FROM outlets_dim FINAL WHERE dataset = 'ds-1'"); got != 13 {
		t.Errorf("outlets_dim has %d outlets of ds-1; want 13", got)
	}
	if got := count(t, conn, "SELECT count() FROM brands_dim FINAL WHERE dataset = 'ds-1'"); got != 7 {
		t.Errorf("brands_dim has %d brands of ds-1; want 7", got)
	}
}

func TestImportHistoryDatasetsAreIndependent(t *testing.T) {
	conn := storestest.ClickHouse(t)
	store := clickhouse.New(conn)
	ctx := context.Background()

	// The company's own data, as the outbox writes it.
	live, err := conn.PrepareBatch(ctx, "INSERT INTO sales (dataset, day, outlet, brand, requested, granted, delivered, source, batch_id)")
	if err != nil {
		t.Fatal(err)
	}
	if err := live.Append("live", jan1, "1", "1", 5.0, 4.0, 4.0, "order", "b1"); err != nil {
		t.Fatal(err)
	}
	if err := live.Send(); err != nil {
		t.Fatal(err)
	}
	liveBefore := salesSummary(t, conn, "live")

	a := genSales(1200, 5, 4, jan1, func(int) float64 { return 1 })
	b := genSales(800, 3, 3, jan1, func(int) float64 { return 2 })
	if _, err := store.ImportHistory(ctx, clickhouse.ImportMeta{Dataset: "a", Period: "day"}, salesOf(a)); err != nil {
		t.Fatal(err)
	}
	if _, err := store.ImportHistory(ctx, clickhouse.ImportMeta{Dataset: "b", Period: "day"}, salesOf(b)); err != nil {
		t.Fatal(err)
	}
	bBefore := salesSummary(t, conn, "b")
	if bBefore.Rows != 800 || bBefore.Delivered != 1600 {
		t.Fatalf("sales of b = %+v; want 800 rows summing to 1600", bBefore)
	}
	// Re-import a with other rows, then fail an import of a: b and live never move.
	a2 := genSales(300, 2, 2, jan1, func(int) float64 { return 3 })
	if _, err := store.ImportHistory(ctx, clickhouse.ImportMeta{Dataset: "a", Period: "day"}, salesOf(a2)); err != nil {
		t.Fatal(err)
	}
	if _, err := store.ImportHistory(ctx, clickhouse.ImportMeta{Dataset: "a", Period: "day"}, failAfter(a, io.ErrUnexpectedEOF)); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("ImportHistory = %v; want %v", err, io.ErrUnexpectedEOF)
	}
	if got := salesSummary(t, conn, "a"); got.Rows != 300 || got.Delivered != 900 {
		t.Errorf("sales of a = %+v; want 300 rows summing to 900", got)
	}
	if got := salesSummary(t, conn, "b"); got != bBefore {
		t.Errorf("sales of b = %+v; want them unchanged: %+v", got, bBefore)
	}
	if got := salesSummary(t, conn, "live"); got != liveBefore {
		t.Errorf("sales of live = %+v; want them unchanged: %+v", got, liveBefore)
	}
	if got := count(t, conn, "SELECT count() FROM outlets_dim FINAL WHERE dataset = 'b'"); got != 3 {
		t.Errorf("outlets_dim has %d outlets of b; want 3", got)
	}

	// The outlets and brands only a's first import had are deleted in the background.
	deadline := time.Now().Add(20 * time.Second)
	for {
		o := count(t, conn, "SELECT count() FROM outlets_dim FINAL WHERE dataset = 'a'")
		br := count(t, conn, "SELECT count() FROM brands_dim FINAL WHERE dataset = 'a'")
		if o == 2 && br == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outlets_dim and brands_dim of a have %d outlets and %d brands 20s after the re-import; want 2 and 2", o, br)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestImportHistoryRejects(t *testing.T) {
	conn := storestest.ClickHouse(t)
	store := clickhouse.New(conn)
	ctx := context.Background()
	monday := time.Date(2020, 1, 6, 0, 0, 0, 0, time.UTC)
	good := []forecast.Sale{{Day: monday, Outlet: "o", Brand: "b", Delivered: 1}}
	tests := []struct {
		name  string
		meta  clickhouse.ImportMeta
		sales []forecast.Sale
		want  error
	}{
		{"live", clickhouse.ImportMeta{Dataset: "live", Period: "day"}, good, clickhouse.ErrInvalidDataset},
		{"empty name", clickhouse.ImportMeta{Dataset: "", Period: "day"}, good, clickhouse.ErrInvalidDataset},
		{"quote", clickhouse.ImportMeta{Dataset: "x'y", Period: "day"}, good, clickhouse.ErrInvalidDataset},
		{"space", clickhouse.ImportMeta{Dataset: "a b", Period: "day"}, good, clickhouse.ErrInvalidDataset},
		{"too long", clickhouse.ImportMeta{Dataset: strings.Repeat("x", 65), Period: "day"}, good, clickhouse.ErrInvalidDataset},
		{"weekly day not a Monday", clickhouse.ImportMeta{Dataset: "w", Period: "week"},
			[]forecast.Sale{{Day: monday.AddDate(0, 0, 1), Outlet: "o", Brand: "b"}}, clickhouse.ErrInvalidSale},
		{"day 0", clickhouse.ImportMeta{Dataset: "w", Period: "day"},
			[]forecast.Sale{{Day: time.Unix(0, 0).UTC(), Outlet: "o", Brand: "b"}}, clickhouse.ErrInvalidSale},
		{"empty brand", clickhouse.ImportMeta{Dataset: "w", Period: "day"},
			[]forecast.Sale{{Day: monday, Outlet: "o"}}, clickhouse.ErrInvalidSale},
		{"no rows", clickhouse.ImportMeta{Dataset: "w", Period: "day"}, nil, clickhouse.ErrEmptyImport},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := store.ImportHistory(ctx, tt.meta, salesOf(tt.sales)); !errors.Is(err, tt.want) {
				t.Errorf("ImportHistory(%+v) = %v; want %v", tt.meta, err, tt.want)
			}
		})
	}
	if _, err := store.ImportHistory(ctx, clickhouse.ImportMeta{Dataset: "w", Period: "month"}, salesOf(good)); err == nil {
		t.Errorf("ImportHistory with period month = nil; want an error")
	}
	if got := count(t, conn, "SELECT count() FROM sales"); got != 0 {
		t.Errorf("sales has %d rows after rejected imports; want 0", got)
	}
}
