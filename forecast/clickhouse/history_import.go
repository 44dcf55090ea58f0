package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ordercast/ordercast/forecast"
)

// Errors of CheckDataset and ImportHistory, which wraps them with the dataset's name.
var (
	// ErrInvalidDataset is returned for a dataset name that is empty, too long, "live", or has
	// characters other than ASCII letters, digits, '_' and '-'.
	ErrInvalidDataset = errors.New("clickhouse: invalid dataset name")
	// ErrEmptyImport is returned when next yields no row: an empty import never replaces a dataset.
	ErrEmptyImport = errors.New("clickhouse: import has no rows")
	// ErrInvalidSale is returned for a sale the sales table cannot hold as given.
	ErrInvalidSale = errors.New("clickhouse: invalid sale")
)

// Import defaults.
const (
	// DefaultImportBatchRows is how many rows go into one block of the import's INSERT. The server
	// squashes blocks into parts of up to min_insert_block_size_rows (1,048,576 by default).
	DefaultImportBatchRows = 1 << 14
	// maxDatasetLen bounds a dataset name.
	maxDatasetLen = 64
	// importSource is sales.source for imported rows.
	importSource = "import"
)

// The range of a ClickHouse Date that every server prints as a date (day 0 shows as 0000-00-00 on
// older ones).
var (
	minDay = time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC)
	maxDay = time.Date(2105, 12, 31, 0, 0, 0, 0, time.UTC)
)

// CheckDataset returns an error wrapping ErrInvalidDataset unless name can name an imported dataset:
// 1 to 64 ASCII letters, digits, '_' or '-', and not forecast.LiveDataset, the company's own data.
func CheckDataset(name string) error {
	if name == "" {
		return fmt.Errorf("%w: the name is empty", ErrInvalidDataset)
	}
	if name == forecast.LiveDataset {
		return fmt.Errorf("%w: %q is the company's own data, not an import", ErrInvalidDataset, name)
	}
	if len(name) > maxDatasetLen {
		return fmt.Errorf("%w: %q is longer than %d characters", ErrInvalidDataset, name, maxDatasetLen)
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
		default:
			return fmt.Errorf("%w: %q: use letters, digits, '_' and '-'", ErrInvalidDataset, name)
		}
	}
	return nil
}

// ImportMeta describes one import of a dataset's history.
type ImportMeta struct {
	Dataset string // the dataset the import replaces; see CheckDataset
	Period  string // "day", or "week" when every sale's Day is a Monday; recorded in datasets
	Source  string // where the rows come from, e.g. the file name; recorded in datasets
	// BatchRows is how many rows go into one block of the INSERT; DefaultImportBatchRows when 0.
	// Memory grows with it.
	BatchRows int
}

// ImportResult says what an import loaded.
type ImportResult struct {
	Dataset string
	// BatchID is sales.batch_id and sales.import_id of every imported row: the import's id, which
	// its datasets row names once it is committed.
	BatchID           string
	Rows              uint64
	Outlets, Brands   int       // distinct outlet and brand codes
	FirstDay, LastDay time.Time // the earliest and latest Day
	ImportedAt        time.Time
	// Replaced says whether the import was committed (readers read its rows): always on success;
	// on an error, whether the error came after the commit (clearing what older imports left).
	Replaced bool
}

// ImportHistory replaces the history of meta.Dataset with the sales next yields, until next returns
// io.EOF. Each row is stored as sold on its Day (source 'import', order 0); the dataset's distinct
// outlets and brands are written to outlets_dim and brands_dim (codes only) and the import is
// recorded in datasets.
//
// Rows are sent in blocks of meta.BatchRows through one INSERT while next goes on, so memory stays
// at about one block (plus one copy of each distinct outlet and brand code) whatever the number of
// rows; the server squashes the blocks into parts of up to a million rows.
//
// The replacement is atomic for readers, on one server and on a cluster alike, and idempotent:
//
//  1. The rows are staged in sales_staging under the import's own id (ImportResult.BatchID).
//  2. Once next has returned io.EOF and every row is staged, each shard attaches its staged rows to
//     sales as the partition (dataset, id), beside the partition of the current import: readers of
//     the dataset read only the import its datasets row names (readImport), so they do not see it.
//  3. The outlets and brands are written (with a new version), then the import's datasets row:
//     that one row, on one shard, is the commit. Readers read the new import from then on.
//  4. The partitions of the dataset's other imports are dropped on every shard, staging cleared,
//     and the older versions of the outlets and brands deleted.
//
// An error before the commit (from next, ctx or ClickHouse, also a shard failing after others
// attached) leaves readers on the previous import, whole; importing again completes the
// replacement, and its step 4 drops what the failed import attached. An error in step 4 is
// returned with Replaced set: the import is committed, and the next import clears what is left.
// Importing the same rows again gives the same data, not twice as much. An error from next is
// returned wrapped, so errors.As finds it. Run one import of a given dataset at a time: an import
// drops the other imports' partitions of the dataset.
func (s *Store) ImportHistory(ctx context.Context, meta ImportMeta, next func() (forecast.Sale, error)) (ImportResult, error) {
	if err := CheckDataset(meta.Dataset); err != nil {
		return ImportResult{}, err
	}
	if meta.Period != "day" && meta.Period != "week" {
		return ImportResult{}, fmt.Errorf("clickhouse: import %s: period %q: want day or week", meta.Dataset, meta.Period)
	}
	batchRows := meta.BatchRows
	if batchRows <= 0 {
		batchRows = DefaultImportBatchRows
	}
	now := time.Now().UTC()
	imp := &historyImport{
		s:         s,
		meta:      meta,
		batchRows: batchRows,
		res: ImportResult{
			Dataset:    meta.Dataset,
			BatchID:    "import-" + now.Format("20060102T150405.000000000Z"),
			ImportedAt: now,
		},
		outlets: make(map[string]struct{}),
		brands:  make(map[string]struct{}),
	}
	if err := imp.run(ctx, next); err != nil {
		return imp.res, fmt.Errorf("clickhouse: import %s: %w", meta.Dataset, err)
	}
	return imp.res, nil
}

// historyImport is the state of one ImportHistory call.
type historyImport struct {
	s         *Store
	meta      ImportMeta
	batchRows int
	res       ImportResult

	chunk   saleColumns
	consts  constColumns
	staging stagingInsertion
	outlets map[string]struct{}
	brands  map[string]struct{}
}

func (imp *historyImport) run(ctx context.Context, next func() (forecast.Sale, error)) error {
	s, cl := imp.s, imp.s.cluster
	dataset, id := imp.meta.Dataset, imp.res.BatchID
	// What earlier imports left staged (one that failed, or whose clearing failed).
	if err := s.dropImports(ctx, "sales_staging", dataset); err != nil {
		return fmt.Errorf("clear staging: %w", err)
	}
	partition := importPartition(dataset, id)
	dropStaging := "ALTER TABLE " + cl.Local("sales_staging") + " DROP PARTITION " + partition
	committed := false
	defer func() {
		if committed {
			return
		}
		// Leave nothing staged behind. Ending the INSERT properly first makes sure no block lands in
		// staging after the drop (on a healthy connection; else the next import's clearing catches
		// it). What shards attached to sales stays unread, and the next import drops it.
		if imp.staging.finish() != nil {
			imp.staging.abort()
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		cl.ExecEachShard(cctx, dropStaging) //nolint:errcheck // best effort; the next import clears it too
	}()

	imp.chunk = newSaleColumns(imp.batchRows)
	imp.consts = newConstColumns(dataset, id, imp.batchRows)
	for {
		sale, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		// The date of Day in its own location, as a UTC midnight: what a Date column stores.
		day := time.Date(sale.Day.Year(), sale.Day.Month(), sale.Day.Day(), 0, 0, 0, 0, time.UTC)
		if err := imp.check(sale, day); err != nil {
			return err
		}
		imp.add(sale, day)
		if imp.chunk.len() == imp.batchRows {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := imp.flushChunk(ctx); err != nil {
				return err
			}
		}
	}
	if imp.res.Rows == 0 {
		return ErrEmptyImport
	}
	if err := imp.flushChunk(ctx); err != nil {
		return err
	}
	if err := imp.staging.finish(); err != nil {
		return err
	}

	var staged uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM sales_staging WHERE dataset = ? AND import_id = ?",
		dataset, id).Scan(&staged); err != nil {
		return fmt.Errorf("count staged rows: %w", err)
	}
	if staged != imp.res.Rows {
		return fmt.Errorf("staged %d rows of %d", staged, imp.res.Rows)
	}
	// On a cluster each shard attaches its own outlets' rows (staging and sales share the shard key).
	// With replicas the staged rows may sit on another replica of the shard than the one conn reaches:
	// SyncReplica fetches them first (REPLACE PARTITION then replicates the attach itself).
	shard := 0
	err := cl.EachShard(ctx, func(ctx context.Context, conn driver.Conn) error {
		shard++
		if s.hooks.attach != nil {
			if err := s.hooks.attach(shard); err != nil {
				return err
			}
		}
		if err := cl.SyncReplica(ctx, conn, "sales_staging"); err != nil {
			return err
		}
		return conn.Exec(ctx, "ALTER TABLE "+cl.Local("sales")+" REPLACE PARTITION "+partition+" FROM "+cl.Local("sales_staging"))
	})
	if err != nil {
		return fmt.Errorf("attach the rows on shard %d of %d (readers still read the previous import; import again): %w",
			shard, len(cl.Shards()), err)
	}
	if err := imp.writeDimensions(ctx); err != nil {
		return fmt.Errorf("write outlets and brands (readers still read the previous import; import again): %w", err)
	}
	if err := imp.record(ctx); err != nil {
		return fmt.Errorf("record the import (readers still read the previous import; import again): %w", err)
	}
	committed = true
	imp.res.Replaced = true
	if s.hooks.commit != nil {
		s.hooks.commit()
	}

	if err := s.dropImports(ctx, "sales", dataset, id); err != nil {
		return fmt.Errorf("imported; drop the rows of older imports (the next import drops them): %w", err)
	}
	if err := s.dropImports(ctx, "sales_staging", dataset); err != nil {
		return fmt.Errorf("imported; clear staging (the next import clears it): %w", err)
	}
	if err := imp.deleteOldDimensions(ctx); err != nil {
		return fmt.Errorf("imported; delete the outlets and brands of older imports (the next import deletes them): %w", err)
	}
	return nil
}

// importPartition is the partition of sales and sales_staging that holds import id of dataset, both
// names CheckDataset accepts or ids ImportHistory made (or the empty id).
func importPartition(dataset, id string) string { return "(" + quote(dataset) + ", " + quote(id) + ")" }

// dropImports drops, on every shard, the partitions of table (sales or sales_staging) that hold
// imports of dataset other than keep.
func (s *Store) dropImports(ctx context.Context, table, dataset string, keep ...string) error {
	rows, err := s.conn.Query(ctx, "SELECT DISTINCT import_id FROM "+table+" WHERE dataset = ?", dataset)
	if err != nil {
		return fmt.Errorf("read the imports in %s: %w", table, err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("read the imports in %s: %w", table, err)
		}
		if !slices.Contains(keep, id) {
			ids = append(ids, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the imports in %s: %w", table, err)
	}
	for _, id := range ids {
		if err := checkImportID(id); err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
		if err := s.cluster.ExecEachShard(ctx, "ALTER TABLE "+s.cluster.Local(table)+" DROP PARTITION "+
			importPartition(dataset, id)); err != nil {
			return fmt.Errorf("drop import %q of %s: %w", id, table, err)
		}
	}
	return nil
}

// checkImportID refuses an import id that could not be quoted as is in a partition literal: every
// id ImportHistory makes is "import-" and a timestamp, and the rows of imports before migration 0007
// have the empty id.
func checkImportID(id string) error {
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
		default:
			return fmt.Errorf("import id %q: not one ImportHistory made", id)
		}
	}
	return nil
}

// check rejects what the sales table cannot hold as given.
func (imp *historyImport) check(s forecast.Sale, day time.Time) error {
	row := imp.res.Rows + 1
	switch {
	case s.Outlet == "" || s.Brand == "":
		return fmt.Errorf("%w: row %d: empty outlet or brand", ErrInvalidSale, row)
	case day.Before(minDay) || day.After(maxDay):
		return fmt.Errorf("%w: row %d: day %s is outside %s..%s", ErrInvalidSale, row,
			dateString(day), dateString(minDay), dateString(maxDay))
	case imp.meta.Period == "week" && day.Weekday() != time.Monday:
		return fmt.Errorf("%w: row %d: day %s of a weekly history is not a Monday", ErrInvalidSale, row, dateString(day))
	case !finite(s.Requested) || !finite(s.Granted) || !finite(s.Delivered) || !finite(s.Limit):
		return fmt.Errorf("%w: row %d: a quantity is not a finite number", ErrInvalidSale, row)
	}
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func (imp *historyImport) add(s forecast.Sale, day time.Time) {
	imp.chunk.append(day, s)
	if _, ok := imp.outlets[s.Outlet]; !ok {
		imp.outlets[s.Outlet] = struct{}{}
	}
	if _, ok := imp.brands[s.Brand]; !ok {
		imp.brands[s.Brand] = struct{}{}
	}
	if imp.res.Rows == 0 || day.Before(imp.res.FirstDay) {
		imp.res.FirstDay = day
	}
	if imp.res.Rows == 0 || day.After(imp.res.LastDay) {
		imp.res.LastDay = day
	}
	imp.res.Rows++
	imp.res.Outlets, imp.res.Brands = len(imp.outlets), len(imp.brands)
}

// flushChunk sends the chunk to sales_staging as one block.
func (imp *historyImport) flushChunk(ctx context.Context) error {
	n := imp.chunk.len()
	if n == 0 {
		return nil
	}
	if err := imp.staging.write(ctx, imp.s, imp.chunk, imp.consts, n); err != nil {
		return err
	}
	imp.chunk.reset()
	return nil
}

// writeDimensions writes the dataset's outlets and brands with a new version. Until
// deleteOldDimensions, readers see the codes of the previous import too.
func (imp *historyImport) writeDimensions(ctx context.Context) error {
	version := imp.dimVersion()
	for _, d := range []struct {
		table, column string
		codes         map[string]struct{}
	}{
		{"outlets_dim", "outlet", imp.outlets},
		{"brands_dim", "brand", imp.brands},
	} {
		codes := make([]string, 0, len(d.codes))
		for c := range d.codes {
			codes = append(codes, c)
		}
		datasets := make([]string, len(codes))
		versions := make([]uint64, len(codes))
		for i := range codes {
			datasets[i], versions[i] = imp.meta.Dataset, version
		}
		batch, err := imp.s.conn.PrepareBatch(ctx, fmt.Sprintf("INSERT INTO %s (dataset, %s, version)", d.table, d.column))
		if err != nil {
			return fmt.Errorf("%s: %w", d.table, err)
		}
		err = appendColumns(batch, datasets, codes, versions)
		if err == nil {
			err = batch.Send()
		}
		batch.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", d.table, err)
		}
	}
	return nil
}

// deleteOldDimensions deletes the versions of the dataset's outlets and brands older than the
// import's, so that a re-import with fewer outlets or brands does not keep the others.
func (imp *historyImport) deleteOldDimensions(ctx context.Context) error {
	for _, table := range []string{"outlets_dim", "brands_dim"} {
		// A mutation, applied in the background: until it is done, FINAL may still show codes that
		// only the previous import had.
		if err := imp.s.cluster.ExecEachShard(ctx, "ALTER TABLE "+imp.s.cluster.Local(table)+
			" DELETE WHERE dataset = ? AND version < ?", imp.meta.Dataset, imp.dimVersion()); err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
	}
	return nil
}

func (imp *historyImport) dimVersion() uint64 { return uint64(imp.res.ImportedAt.UnixNano()) }

// record writes the import's row in datasets.
func (imp *historyImport) record(ctx context.Context) error {
	batch, err := imp.s.conn.PrepareBatch(ctx,
		"INSERT INTO datasets (dataset, import_id, period, source, rows, outlets, brands, first_day, last_day, imported_at)")
	if err != nil {
		return err
	}
	defer batch.Close()
	r := imp.res
	if err := batch.Append(r.Dataset, r.BatchID, imp.meta.Period, imp.meta.Source, r.Rows, uint64(r.Outlets), uint64(r.Brands),
		r.FirstDay, r.LastDay, r.ImportedAt); err != nil {
		return err
	}
	return batch.Send()
}

// quote quotes a name CheckDataset accepted as a string literal.
func quote(name string) string { return "'" + name + "'" }

// stagingInsert names every column of sales_staging but inserted_at, which defaults to now().
const stagingInsert = "INSERT INTO sales_staging (dataset, day, outlet, brand, requested, granted, delivered, " +
	"limit_qty, limited, order_id, source, batch_id, import_id)"

// saleColumns holds a chunk of sales column by column, in stagingInsert's order.
type saleColumns struct {
	day                                   []time.Time
	outlet, brand                         []string
	requested, granted, delivered, limitQ []float64
	limited                               []uint8
	orderID                               []uint64
}

func newSaleColumns(n int) saleColumns {
	return saleColumns{
		day:       make([]time.Time, 0, n),
		outlet:    make([]string, 0, n),
		brand:     make([]string, 0, n),
		requested: make([]float64, 0, n),
		granted:   make([]float64, 0, n),
		delivered: make([]float64, 0, n),
		limitQ:    make([]float64, 0, n),
		limited:   make([]uint8, 0, n),
		orderID:   make([]uint64, 0, n),
	}
}

func (c *saleColumns) len() int { return len(c.day) }

func (c *saleColumns) append(day time.Time, s forecast.Sale) {
	var limited uint8
	if s.Limited {
		limited = 1
	}
	c.day = append(c.day, day)
	c.outlet = append(c.outlet, s.Outlet)
	c.brand = append(c.brand, s.Brand)
	c.requested = append(c.requested, s.Requested)
	c.granted = append(c.granted, s.Granted)
	c.delivered = append(c.delivered, s.Delivered)
	c.limitQ = append(c.limitQ, s.Limit)
	c.limited = append(c.limited, limited)
	c.orderID = append(c.orderID, s.OrderID)
}

func (c *saleColumns) reset() {
	c.day, c.outlet, c.brand = c.day[:0], c.outlet[:0], c.brand[:0]
	c.requested, c.granted, c.delivered, c.limitQ = c.requested[:0], c.granted[:0], c.delivered[:0], c.limitQ[:0]
	c.limited, c.orderID = c.limited[:0], c.orderID[:0]
}

// constColumns are the columns that hold one value for the whole import, filled once.
type constColumns struct {
	dataset, source, batchID []string
}

func newConstColumns(dataset, batchID string, n int) constColumns {
	c := constColumns{dataset: make([]string, n), source: make([]string, n), batchID: make([]string, n)}
	for i := range n {
		c.dataset[i], c.source[i], c.batchID[i] = dataset, importSource, batchID
	}
	return c
}

// stagingInsertion is the one INSERT into sales_staging of an import, open from its first block
// to its last. Each block is sent as soon as it is appended (Flush): the server writes it while the
// next one is read, and the block's buffers are reused, so memory stays at one block.
type stagingInsertion struct {
	b driver.Batch
}

// write sends the first n rows of c and k as one block.
func (si *stagingInsertion) write(ctx context.Context, s *Store, c saleColumns, k constColumns, n int) error {
	if si.b == nil {
		b, err := s.conn.PrepareBatch(ctx, stagingInsert)
		if err != nil {
			return fmt.Errorf("stage rows: %w", err)
		}
		si.b = b
	}
	err := appendColumns(si.b, k.dataset[:n], c.day, c.outlet, c.brand, c.requested, c.granted, c.delivered,
		c.limitQ, c.limited, c.orderID, k.source[:n], k.batchID[:n], k.batchID[:n])
	if err == nil {
		err = si.b.Flush()
	}
	if err != nil {
		si.abort()
		return fmt.Errorf("stage rows: %w", err)
	}
	return nil
}

// finish ends the INSERT and waits until the server has written every block.
func (si *stagingInsertion) finish() error {
	if si.b == nil {
		return nil
	}
	b := si.b
	si.b = nil
	err := b.Send()
	b.Close()
	if err != nil {
		return fmt.Errorf("stage rows: %w", err)
	}
	return nil
}

// abort ends the INSERT without waiting: the connection is closed, and a block in flight may still
// be written to sales_staging after abort returns.
func (si *stagingInsertion) abort() {
	if si.b != nil {
		si.b.Abort() //nolint:errcheck // the connection is dropped either way
		si.b.Close()
		si.b = nil
	}
}

// appendColumns appends one slice per column to batch, in the order of its INSERT's columns. The
// batch copies them.
func appendColumns(batch driver.Batch, columns ...any) error {
	for i, col := range columns {
		if err := batch.Column(i).Append(col); err != nil {
			return fmt.Errorf("column %d: %w", i, err)
		}
	}
	return nil
}
