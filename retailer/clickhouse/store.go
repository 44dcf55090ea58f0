// Package clickhouse is the retailer domain's adapter to the ClickHouse history store: terminal scans
// that passed validation, the rows that did not, and one row per accepted upload.
//
// Statements are written for ClickHouse 18.16 and current releases alike (see
// ../shared/design/CLICKHOUSE.md): inserts go through batches that name their columns.
package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/retailer"
)

// Store reads and writes the retailer domain's ClickHouse tables. It is safe for concurrent use.
type Store struct {
	conn    driver.Conn     // reads and inserts (the Distributed tables of a cluster)
	cluster *stores.Cluster // TRUNCATE, shard by shard
	// Concurrent WriteScanBatch calls share INSERTs (scans.go): their rows' (uploads), then, once
	// those are acknowledged, their batch rows' (batchRows).
	uploads    committer[*pendingBatch]
	batchRows  committer[*pendingBatch]
	columnPool sync.Pool // of *scanColumns
}

// New returns a Store on the one server conn. The caller keeps ownership of conn and closes it.
func New(conn driver.Conn) *Store {
	return NewOnCluster(stores.SingleServer(conn))
}

// NewOnCluster returns a Store on c: one server or the shards of a cluster, whose inserts are
// synchronous, so a batch is acknowledged only once its shard has it. The caller keeps ownership of c
// and closes it.
func NewOnCluster(c *stores.Cluster) *Store {
	return &Store{conn: c.Conn(), cluster: c, batchRows: committer[*pendingBatch]{most: maxGroupBatches}}
}

// DefaultBlockRows is how many rows go into one block of a ScanWriter's inserts. Memory grows with it.
const DefaultBlockRows = 250_000

// ScanRows returns how many rows scans, scan_rejects and scan_batches hold.
func (s *Store) ScanRows(ctx context.Context) (scans, rejects, batches uint64, err error) {
	err = s.conn.QueryRow(ctx, "SELECT (SELECT count() FROM scans), (SELECT count() FROM scan_rejects), "+
		"(SELECT count() FROM scan_batches)").Scan(&scans, &rejects, &batches)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("clickhouse: count scans: %w", err)
	}
	return scans, rejects, batches, nil
}

// DeleteScans empties scans, scan_rejects and scan_batches (every shard's, on a cluster).
func (s *Store) DeleteScans(ctx context.Context) error {
	for _, table := range []string{"scans", "scan_rejects", "scan_batches"} {
		if err := s.cluster.ExecEachShard(ctx, "TRUNCATE TABLE "+s.cluster.Local(table)); err != nil {
			return fmt.Errorf("clickhouse: truncate %s: %w", table, err)
		}
	}
	return nil
}

// ScanWriter streams validated upload batches: accepted rows into scans, rejected ones with their
// reason into scan_rejects, one row per batch into scan_batches. Each table gets one INSERT, open
// from its first rows to Close, whose blocks are sent as they fill. Rows sent before an error stay
// in the tables. A ScanWriter is not safe for concurrent use.
type ScanWriter struct {
	scans, rejects, batches *stores.Insertion
	counts                  struct{ scans, rejects, batches uint64 }

	// Scratch columns, reused from one Add to the next.
	outlet, brand, kind, batchID, reason []string
	at, day, received                    []time.Time
	qty                                  []float64
	rowNo, accepted, rejected            []uint32
	mask                                 []bool
}

// ErrInvalidReject is returned (wrapped) by Add for a batch whose Rejects name a row it does not have,
// or one row twice.
var ErrInvalidReject = errors.New("clickhouse: invalid rejected row")

// NewScanWriter returns a ScanWriter; blockRows ≤ 0 means DefaultBlockRows. Nothing is sent before
// the first Add.
func (s *Store) NewScanWriter(blockRows int) *ScanWriter {
	if blockRows <= 0 {
		blockRows = DefaultBlockRows
	}
	return &ScanWriter{
		scans:   stores.NewInsertion(s.conn, "INSERT INTO scans (outlet, brand, kind, scanned_at, day, qty, batch_id, row_no, received_at)", blockRows),
		rejects: stores.NewInsertion(s.conn, "INSERT INTO scan_rejects (outlet, batch_id, row_no, brand, kind, scanned_at, qty, reason, received_at)", blockRows),
		batches: stores.NewInsertion(s.conn, "INSERT INTO scan_batches (outlet, batch_id, accepted, rejected, received_at)", blockRows),
	}
}

// Add writes batches. The writer copies them: the caller may reuse the slices.
func (w *ScanWriter) Add(ctx context.Context, batches []retailer.ScanBatch) error {
	if len(batches) == 0 {
		return nil
	}
	w.reset()
	w.accepted, w.rejected = w.accepted[:0], w.rejected[:0]
	nAccepted := 0
	for _, b := range batches {
		w.mask = w.mask[:0]
		for range b.Rows {
			w.mask = append(w.mask, false)
		}
		for _, rej := range b.Rejects {
			if rej.Row < 1 || rej.Row > len(b.Rows) || w.mask[rej.Row-1] {
				return fmt.Errorf("clickhouse: batch %s: rejected row %d: %w", b.ID, rej.Row, ErrInvalidReject)
			}
			w.mask[rej.Row-1] = true
		}
		for k, row := range b.Rows {
			if !w.mask[k] {
				w.appendRow(b, row, k+1)
				nAccepted++
			}
		}
		w.accepted = append(w.accepted, uint32(len(b.Rows)-len(b.Rejects)))
		w.rejected = append(w.rejected, uint32(len(b.Rejects)))
	}
	if nAccepted > 0 {
		if err := w.scans.Append(ctx, len(w.outlet), w.outlet, w.brand, w.kind, w.at, w.day, w.qty, w.batchID, w.rowNo,
			w.received); err != nil {
			return fmt.Errorf("clickhouse: write scans: %w", err)
		}
		w.counts.scans += uint64(nAccepted)
	}

	w.reset()
	for _, b := range batches {
		for _, rej := range b.Rejects {
			row := b.Rows[rej.Row-1]
			w.outlet = append(w.outlet, b.Outlet)
			w.batchID = append(w.batchID, b.ID)
			w.rowNo = append(w.rowNo, uint32(rej.Row))
			w.brand = append(w.brand, row.Brand)
			w.kind = append(w.kind, string(row.Kind))
			w.at = append(w.at, row.At)
			w.qty = append(w.qty, row.Qty)
			w.reason = append(w.reason, string(rej.Reason))
			w.received = append(w.received, b.Received)
		}
	}
	if n := len(w.outlet); n > 0 {
		if err := w.rejects.Append(ctx, len(w.outlet), w.outlet, w.batchID, w.rowNo, w.brand, w.kind, w.at, w.qty, w.reason,
			w.received); err != nil {
			return fmt.Errorf("clickhouse: write scan_rejects: %w", err)
		}
		w.counts.rejects += uint64(n)
	}

	w.outlet, w.batchID, w.received = w.outlet[:0], w.batchID[:0], w.received[:0]
	for _, b := range batches {
		w.outlet = append(w.outlet, b.Outlet)
		w.batchID = append(w.batchID, b.ID)
		w.received = append(w.received, b.Received)
	}
	if err := w.batches.Append(ctx, len(w.outlet), w.outlet, w.batchID, w.accepted, w.rejected, w.received); err != nil {
		return fmt.Errorf("clickhouse: write scan_batches: %w", err)
	}
	w.counts.batches += uint64(len(batches))
	return nil
}

func (w *ScanWriter) appendRow(b retailer.ScanBatch, row retailer.Scan, rowNo int) {
	at := row.At.UTC()
	w.outlet = append(w.outlet, b.Outlet)
	w.brand = append(w.brand, row.Brand)
	w.kind = append(w.kind, string(row.Kind))
	w.at = append(w.at, at)
	w.day = append(w.day, time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC))
	w.qty = append(w.qty, row.Qty)
	w.batchID = append(w.batchID, b.ID)
	w.rowNo = append(w.rowNo, uint32(rowNo))
	w.received = append(w.received, b.Received)
}

func (w *ScanWriter) reset() {
	w.outlet, w.brand, w.kind, w.batchID, w.reason = w.outlet[:0], w.brand[:0], w.kind[:0], w.batchID[:0], w.reason[:0]
	w.at, w.day, w.received, w.qty, w.rowNo = w.at[:0], w.day[:0], w.received[:0], w.qty[:0], w.rowNo[:0]
}

// Rows returns how many accepted rows, rejected rows and batches the writer has taken.
func (w *ScanWriter) Rows() (scans, rejects, batches uint64) {
	return w.counts.scans, w.counts.rejects, w.counts.batches
}

// Close sends what is left and ends the inserts, waiting until the server has written every block.
func (w *ScanWriter) Close() error {
	for _, in := range []struct {
		table string
		in    *stores.Insertion
	}{{"scans", w.scans}, {"scan_rejects", w.rejects}, {"scan_batches", w.batches}} {
		if err := in.in.Finish(); err != nil {
			w.Abort()
			return fmt.Errorf("clickhouse: write %s: %w", in.table, err)
		}
	}
	return nil
}

// Abort ends the inserts without waiting for them; blocks already sent may still be written.
func (w *ScanWriter) Abort() {
	w.scans.Abort()
	w.rejects.Abort()
	w.batches.Abort()
}
