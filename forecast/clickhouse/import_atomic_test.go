package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/forecast"
)

// Tests of the commit point of a history import (imports.go): readers of an imported dataset see
// one import whole, the previous one until its datasets row names the new one, on one server and
// on two shards.

const atomicDataset = "m5"

var atomicJan = time.Date(2020, 1, 6, 0, 0, 0, 0, time.UTC) // a Monday

// importRows returns a daily history of 24 outlets × 2 brands over 28 days from atomicJan, every row of
// quantity qty, and, for import b, two outlets more: two imports of it differ in every total.
func importRows(qty float64, extraOutlets int) []forecast.Sale {
	var out []forecast.Sale
	for d := range 28 {
		for o := range 24 + extraOutlets {
			for b := range 2 {
				out = append(out, forecast.Sale{Day: atomicJan.AddDate(0, 0, d), Outlet: fmt.Sprintf("O%d", o),
					Brand: fmt.Sprintf("B%d", b), Requested: qty, Granted: qty, Delivered: qty})
			}
		}
	}
	return out
}

func nextOf(sales []forecast.Sale) func() (forecast.Sale, error) {
	i := 0
	return func() (forecast.Sale, error) {
		if i == len(sales) {
			return forecast.Sale{}, io.EOF
		}
		i++
		return sales[i-1], nil
	}
}

// importTotals is what the readers of a dataset give: the rows Dataset counts, the sum of SalesHistory's
// weekly sales, and the January actuals of MonthActuals (against sales).
type importTotals struct {
	Rows             uint64
	Series           int
	History, January float64
}

// wantTotals returns the importTotals of sales, as the readers should give them.
func wantTotals(sales []forecast.Sale) importTotals {
	t := importTotals{Rows: uint64(len(sales))}
	series := map[string]bool{}
	for _, s := range sales {
		series[s.Outlet+"/"+s.Brand] = true
		t.History += s.Delivered
		if s.Day.Month() == time.January {
			t.January += s.Delivered
		}
	}
	t.Series = len(series)
	return t
}

// readTotals returns the importTotals the readers give for the dataset.
func readTotals(ctx context.Context, s *Store) (importTotals, error) {
	var t importTotals
	info, err := s.Dataset(ctx, atomicDataset)
	if err != nil {
		return t, err
	}
	t.Rows = info.Rows
	p, err := s.SalesHistory(ctx, HistoryQuery{Dataset: atomicDataset})
	if err != nil {
		return t, err
	}
	t.Series = len(p.Series)
	for _, sr := range p.Series {
		for _, v := range sr.Sales {
			t.History += v
		}
	}
	items, err := s.MonthActuals(ctx, atomicDataset, atomicJan, forecast.AgainstSales)
	if err != nil {
		return t, err
	}
	for _, it := range items {
		t.January += it.Actual
	}
	return t, nil
}

func checkRead(t *testing.T, ctx context.Context, s *Store, when string, wantT importTotals) {
	t.Helper()
	got, err := readTotals(ctx, s)
	if err != nil || got != wantT {
		t.Errorf("%s: readers give %+v, %v; want %+v", when, got, err, wantT)
	}
}

var atomicMeta = ImportMeta{Dataset: atomicDataset, Period: PeriodDay, Source: "test"}

// importIDs returns the imports of the dataset that sales holds, through s's Distributed tables.
func importIDs(t *testing.T, ctx context.Context, s *Store, table string) []string {
	t.Helper()
	rows, err := s.conn.Query(ctx, "SELECT DISTINCT import_id FROM "+table+" WHERE dataset = ? ORDER BY import_id", atomicDataset)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// An import whose second shard goes down after the first attached its rows leaves every reader on
// the previous import, whole; importing again completes it and drops what the failed one attached.
// On two shards, and on two shards of two replicas (both of shard 2's stopped).
func TestImportShardDownAfterAnotherAttached(t *testing.T) {
	for _, replicas := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d replicas", replicas), func(t *testing.T) { importShardDown(t, replicas) })
	}
}

func importShardDown(t *testing.T, replicas int) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c := storestest.StartClickHouseReplicas(t, 2, replicas)
	s := NewOnCluster(c.Migrated())
	a, b := importRows(1, 0), importRows(2, 2)
	if _, err := s.ImportHistory(ctx, atomicMeta, nextOf(a)); err != nil {
		t.Fatal(err)
	}
	checkRead(t, ctx, s, "after import a", wantTotals(a))

	// Shard 2's servers stop once shard 1 has attached import b's rows: its attach fails.
	s.hooks.attach = func(shard int) error {
		if shard == 2 {
			for r := range replicas {
				c.Replica(2, r+1).Stop()
			}
		}
		return nil
	}
	res, err := s.ImportHistory(ctx, atomicMeta, nextOf(b))
	s.hooks.attach = nil
	if err == nil || res.Replaced {
		t.Fatalf("import b with shard 2 down = %+v, %v; want an error, not replaced", res, err)
	}
	for r := range replicas {
		c.Replica(2, r+1).Start()
	}
	shard1 := storestest.OpenClickHouse(t, c.Replica(1, 1).DatabaseDSN(c.DSN()))
	var attached uint64
	if err := shard1.QueryRow(ctx, "SELECT count() FROM sales_local WHERE dataset = ? AND import_id = ?",
		atomicDataset, res.BatchID).Scan(&attached); err != nil || attached == 0 {
		t.Fatalf("shard 1 holds %d rows of the failed import, %v; want its share attached", attached, err)
	}
	checkRead(t, ctx, s, "after import b failed on shard 2", wantTotals(a))

	res, err = s.ImportHistory(ctx, atomicMeta, nextOf(b))
	if err != nil || !res.Replaced {
		t.Fatalf("import b again = %+v, %v; want it done", res, err)
	}
	checkRead(t, ctx, s, "after import b again", wantTotals(b))
	if ids := importIDs(t, ctx, s, "sales"); !slices.Equal(ids, []string{res.BatchID}) {
		t.Errorf("sales holds imports %q of %s; want only the last, %q", ids, atomicDataset, res.BatchID)
	}
	if ids := importIDs(t, ctx, s, "sales_staging"); len(ids) != 0 {
		t.Errorf("sales_staging holds imports %q; want none", ids)
	}
}

// A reader during an import reads one import whole: the previous one while the shards attach the
// new one (between two shards' attaches too), the new one once it is committed, while the previous
// one's rows are still there.
func TestImportReadersSeeOneImport(t *testing.T) {
	for _, tt := range []struct {
		name   string
		shards int
	}{
		{"one server", 1},
		{"two shards", 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			var s *Store
			if tt.shards == 1 {
				s = New(storestest.ClickHouse(t))
			} else {
				s = NewOnCluster(storestest.StartClickHouseCluster(t, tt.shards).Migrated())
			}
			a, b := importRows(1, 0), importRows(2, 2)
			if _, err := s.ImportHistory(ctx, atomicMeta, nextOf(a)); err != nil {
				t.Fatal(err)
			}
			attaches, commits := 0, 0
			s.hooks.attach = func(shard int) error {
				attaches++
				checkRead(t, ctx, s, fmt.Sprintf("before the attach on shard %d", shard), wantTotals(a))
				return nil
			}
			s.hooks.commit = func() {
				commits++
				if ids := importIDs(t, ctx, s, "sales"); len(ids) != 2 {
					t.Errorf("at the commit sales holds imports %q; want the previous and the new", ids)
				}
				checkRead(t, ctx, s, "after the commit", wantTotals(b))
			}
			if _, err := s.ImportHistory(ctx, atomicMeta, nextOf(b)); err != nil {
				t.Fatal(err)
			}
			if attaches != tt.shards || commits != 1 {
				t.Errorf("the import attached %d times and committed %d times; want %d and 1", attaches, commits, tt.shards)
			}
			checkRead(t, ctx, s, "after import b", wantTotals(b))
		})
	}
}

// A reader that read an import which another then replaced (dropping its rows) reads again, from
// the import now current.
func TestReadImportRereadsAReplacedImport(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s := New(storestest.ClickHouse(t))
	a, b := importRows(1, 0), importRows(2, 2)
	if _, err := s.ImportHistory(ctx, atomicMeta, nextOf(a)); err != nil {
		t.Fatal(err)
	}
	var reads []uint64
	err := s.readImport(ctx, atomicDataset, func(sc salesScope) error {
		if len(reads) == 0 {
			// Import b commits and drops import a's rows after the reader named import a.
			if _, err := s.ImportHistory(ctx, atomicMeta, nextOf(b)); err != nil {
				t.Fatal(err)
			}
		}
		info, err := s.datasetInfo(ctx, sc)
		reads = append(reads, info.Rows)
		return err
	})
	if err != nil || !slices.Equal(reads, []uint64{0, uint64(len(b))}) {
		t.Errorf("readImport read %v rows, %v; want 0 (import a dropped), then import b's %d", reads, err, len(b))
	}
	if _, err := s.importOf(ctx, "never"); !errors.Is(err, ErrUnknownDataset) {
		t.Errorf("importOf(never) = %v; want ErrUnknownDataset", err)
	}
}
