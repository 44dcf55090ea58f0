package clickhouse

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/retailer"
)

// Uploads through the API are written here so that they are idempotent without any help from
// ClickHouse (18.16 has no insert deduplication on plain MergeTree tables):
//
//   - A batch is complete when scan_batches has its row. ScanOutcome looks for it (outlet and batch_id
//     are the table's sorting key) and rebuilds the first answer from it and from scan_rejects.
//   - WriteScanBatch writes scans, then scan_rejects, then the scan_batches row, each INSERT waited for
//     before the next starts, so a batch row never exists without the rows it counts.
//   - An attempt that stopped between those INSERTs (a crash, a lost connection, a cancelled request)
//     leaves rows of the batch without its batch row. Deleting them is no remedy (ALTER TABLE … DELETE
//     is an asynchronous mutation), so the next attempt reads the row numbers already stored for the
//     batch (scans and scan_rejects both sort by outlet and batch_id first: a cheap read), keeps the
//     verdict they were stored with, and writes only the rows that are missing. Rows are never
//     written twice, and the batch row, written last, counts every row once. This also covers an
//     INSERT that failed after writing some of its parts (one per month the rows span) and one that
//     the server completed although the client saw an error.
//
// Two attempts at the same batch running at the same time could still both write it: callers
// serialise attempts per batch (the HTTP adapter does, within one process). Concurrent uploads of
// different batches share INSERTs (see WriteScanBatch).

// ScanOutcome returns the outcome stored for upload batchID of outlet (a licence number), with
// Replay set; found is false when the batch is not stored complete.
func (s *Store) ScanOutcome(ctx context.Context, outlet, batchID string) (out retailer.ScanOutcome, found bool, err error) {
	rows, err := s.conn.Query(ctx, "SELECT accepted, rejected FROM scan_batches WHERE outlet = ? AND batch_id = ? "+
		"ORDER BY received_at LIMIT 1", outlet, batchID)
	if err != nil {
		return out, false, fmt.Errorf("clickhouse: read scan batch: %w", err)
	}
	var accepted, rejected uint32
	for rows.Next() {
		if err := rows.Scan(&accepted, &rejected); err != nil {
			rows.Close()
			return out, false, fmt.Errorf("clickhouse: read scan batch: %w", err)
		}
		found = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, false, fmt.Errorf("clickhouse: read scan batch: %w", err)
	}
	if !found {
		return out, false, nil
	}
	out = retailer.ScanOutcome{BatchID: batchID, Accepted: int(accepted), Replay: true}
	if rejected > 0 {
		if out.Rejects, err = s.storedRejects(ctx, outlet, batchID); err != nil {
			return retailer.ScanOutcome{}, false, err
		}
	}
	return out, true, nil
}

// storedRejects reads the rejected rows of a batch, in row order, each once, explained.
func (s *Store) storedRejects(ctx context.Context, outlet, batchID string) ([]retailer.ScanReject, error) {
	rows, err := s.conn.Query(ctx, "SELECT row_no, brand, kind, scanned_at, qty, reason FROM scan_rejects "+
		"WHERE outlet = ? AND batch_id = ? ORDER BY row_no", outlet, batchID)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read scan rejects: %w", err)
	}
	defer rows.Close()
	var rejects []retailer.ScanReject
	for rows.Next() {
		var rowNo uint32
		var kind, reason string
		row := retailer.Scan{Outlet: outlet}
		if err := rows.Scan(&rowNo, &row.Brand, &kind, &row.At, &row.Qty, &reason); err != nil {
			return nil, fmt.Errorf("clickhouse: read scan rejects: %w", err)
		}
		if n := len(rejects); n > 0 && rejects[n-1].Row == int(rowNo) {
			continue // a ReplacingMergeTree duplicate not merged away yet
		}
		row.Kind = retailer.ScanKind(kind)
		r := retailer.RejectReason(reason)
		rejects = append(rejects, retailer.ScanReject{Row: int(rowNo), Reason: r, Detail: r.Explain(row)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: read scan rejects: %w", err)
	}
	return rejects, nil
}

// RecentSellOut returns, per brand, the packs of sell-out stored for outlet on the UTC days from
// from to to (both included), leaving out the rows of batch excludeBatch (the upload being checked,
// of which an interrupted attempt may have stored some rows).
func (s *Store) RecentSellOut(ctx context.Context, outlet, excludeBatch string, from, to time.Time) (map[string]float64, error) {
	rows, err := s.conn.Query(ctx, "SELECT brand, sum(qty) FROM scans WHERE outlet = ? AND kind = 'sellout' "+
		"AND day >= toDate(?) AND day <= toDate(?) AND batch_id != ? GROUP BY brand",
		outlet, from.UTC().Format(time.DateOnly), to.UTC().Format(time.DateOnly), excludeBatch)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read recent sell-out: %w", err)
	}
	defer rows.Close()
	sellOut := map[string]float64{}
	for rows.Next() {
		var brand string
		var qty float64
		if err := rows.Scan(&brand, &qty); err != nil {
			return nil, fmt.Errorf("clickhouse: read recent sell-out: %w", err)
		}
		sellOut[brand] = qty
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: read recent sell-out: %w", err)
	}
	return sellOut, nil
}

// WriteScanBatch stores one validated upload: its accepted rows in scans, its rejected ones in
// scan_rejects, then its row in scan_batches, and returns its outcome once ClickHouse has acknowledged
// all three. b.Rejects must name each row at most once (ErrInvalidReject otherwise) and carry their
// reasons; rows an earlier, interrupted attempt at the batch stored keep the verdict they were stored
// with (see the comment at the top of this file). The caller must first have made sure that the batch
// is not stored complete (ScanOutcome), and must not write the same batch twice at the same time.
//
// Concurrent calls share INSERTs (group commit): ClickHouse spends far more on each INSERT (a new part
// to write and later merge) than on each row, so batches that arrive while an INSERT is under way are
// written together by the next one. A failed INSERT fails every batch of its group; their retries
// complete them.
func (s *Store) WriteScanBatch(ctx context.Context, b retailer.ScanBatch) (retailer.ScanOutcome, error) {
	if len(b.Rows) > math.MaxUint32 {
		return retailer.ScanOutcome{}, fmt.Errorf("clickhouse: batch %s: %d rows: too many", b.ID, len(b.Rows))
	}
	p := &pendingBatch{batch: b, verdict: make([]retailer.RejectReason, len(b.Rows))} // "" accepted
	for _, rej := range b.Rejects {
		if rej.Row < 1 || rej.Row > len(b.Rows) || p.verdict[rej.Row-1] != "" || rej.Reason == "" {
			return retailer.ScanOutcome{}, fmt.Errorf("clickhouse: batch %s: rejected row %d: %w", b.ID, rej.Row, ErrInvalidReject)
		}
		p.verdict[rej.Row-1] = rej.Reason
	}
	stored, err := s.storedRows(ctx, b.Outlet, b.ID, len(b.Rows))
	if err != nil {
		return retailer.ScanOutcome{}, err
	}
	p.stored = stored
	p.out = retailer.ScanOutcome{BatchID: b.ID}
	for i, row := range b.Rows {
		if stored[i].stored {
			p.verdict[i] = stored[i].reason
		} else {
			p.newRows++
		}
		if p.verdict[i] != "" {
			p.out.Rejects = append(p.out.Rejects, retailer.ScanReject{Row: i + 1, Reason: p.verdict[i], Detail: p.verdict[i].Explain(row)})
		}
	}
	p.out.Accepted = len(b.Rows) - len(p.out.Rejects)
	if err := s.uploads.submit(ctx, p, s.writeGroup); err != nil {
		return retailer.ScanOutcome{}, err
	}
	return p.out, nil
}

// pendingBatch is a batch ready to be written: its rows with their verdicts, and what an earlier
// attempt stored of them (not written again).
type pendingBatch struct {
	batch   retailer.ScanBatch
	verdict []retailer.RejectReason // by row index; "" accepted
	stored  []storedRow             // by row index
	newRows int                     // rows not stored yet
	out     retailer.ScanOutcome
}

// scanColumns are the columns of an INSERT into scans or scan_rejects.
type scanColumns struct {
	outlet, brand, kind, batchID, reason []string
	at, day, received                    []time.Time
	qty                                  []float64
	rowNo                                []uint32
}

func (c *scanColumns) add(b *retailer.ScanBatch, i int) {
	row := &b.Rows[i]
	t := row.At.UTC()
	c.outlet = append(c.outlet, b.Outlet)
	c.brand = append(c.brand, row.Brand)
	c.kind = append(c.kind, string(row.Kind))
	c.at = append(c.at, t)
	c.day = append(c.day, time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC))
	c.qty = append(c.qty, row.Qty)
	c.batchID = append(c.batchID, b.ID)
	c.rowNo = append(c.rowNo, uint32(i+1))
	c.received = append(c.received, b.Received)
}

// writeGroup writes a group of batches: the new accepted rows of all of them into scans, then their
// new rejected rows into scan_rejects, then their rows into scan_batches, each INSERT acknowledged
// before the next starts.
func (s *Store) writeGroup(ctx context.Context, group []*pendingBatch) error {
	var acc, rej scanColumns
	for _, p := range group {
		for i := range p.batch.Rows {
			switch {
			case p.stored[i].stored:
			case p.verdict[i] == "":
				acc.add(&p.batch, i)
			default:
				rej.add(&p.batch, i)
				rej.reason = append(rej.reason, string(p.verdict[i]))
			}
		}
	}
	if len(acc.outlet) > 0 {
		if err := s.insert(ctx, "INSERT INTO scans (outlet, brand, kind, scanned_at, day, qty, batch_id, row_no, received_at)",
			acc.outlet, acc.brand, acc.kind, acc.at, acc.day, acc.qty, acc.batchID, acc.rowNo, acc.received); err != nil {
			return fmt.Errorf("clickhouse: write scans: %w", err)
		}
	}
	if len(rej.outlet) > 0 {
		if err := s.insert(ctx, "INSERT INTO scan_rejects (outlet, batch_id, row_no, brand, kind, scanned_at, qty, reason, received_at)",
			rej.outlet, rej.batchID, rej.rowNo, rej.brand, rej.kind, rej.at, rej.qty, rej.reason, rej.received); err != nil {
			return fmt.Errorf("clickhouse: write scan_rejects: %w", err)
		}
	}
	n := len(group)
	outlet, batchID, received := make([]string, n), make([]string, n), make([]time.Time, n)
	accepted, rejected := make([]uint32, n), make([]uint32, n)
	for k, p := range group {
		outlet[k], batchID[k], received[k] = p.batch.Outlet, p.batch.ID, p.batch.Received
		accepted[k], rejected[k] = uint32(p.out.Accepted), uint32(len(p.out.Rejects))
	}
	if err := s.insert(ctx, "INSERT INTO scan_batches (outlet, batch_id, accepted, rejected, received_at)",
		outlet, batchID, accepted, rejected, received); err != nil {
		return fmt.Errorf("clickhouse: write scan_batches: %w", err)
	}
	return nil
}

// Bounds of a group of batches written together.
const (
	maxGroupRows = 200_000          // rows; a batch that would overflow the last group starts a new one
	groupTimeout = 60 * time.Second // for the INSERTs of one group, whatever its callers' contexts
)

// committer groups concurrent writes (group commit): a caller that finds no write under way writes
// its batch at once; callers that arrive while one is under way join the next group, which one of
// them writes when the current write ends. The zero value is ready for use.
type committer struct {
	mu       sync.Mutex
	queue    []*group // groups waiting to be written, oldest first
	flushing bool     // a group is being written
}

type group struct {
	items []*pendingBatch
	rows  int
	lead  chan struct{} // receives once: the receiver writes the group
	done  chan struct{} // closed when the group is written, err set
	err   error
}

// submit adds p to a group and returns once that group is written, with the write's error. write
// writes a group; it gets a context detached from any one caller's cancellation, with groupTimeout.
func (c *committer) submit(ctx context.Context, p *pendingBatch, write func(context.Context, []*pendingBatch) error) error {
	c.mu.Lock()
	var g *group
	if n := len(c.queue); n > 0 && c.queue[n-1].rows+p.newRows <= maxGroupRows {
		g = c.queue[n-1]
	} else {
		g = &group{lead: make(chan struct{}, 1), done: make(chan struct{})}
		c.queue = append(c.queue, g)
	}
	g.items = append(g.items, p)
	g.rows += p.newRows
	if !c.flushing { // nothing under way: the queue holds only g, and this caller writes it
		c.flushing = true
		c.queue = c.queue[1:]
		g.lead <- struct{}{}
	}
	c.mu.Unlock()

	select {
	case <-g.done:
		return g.err
	case <-g.lead:
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), groupTimeout)
	g.err = write(wctx, g.items)
	cancel()
	close(g.done)

	c.mu.Lock()
	if len(c.queue) == 0 {
		c.flushing = false
	} else { // hand the next group to one of its callers
		next := c.queue[0]
		c.queue = c.queue[1:]
		next.lead <- struct{}{}
	}
	c.mu.Unlock()
	return g.err
}

// storedRow is what an earlier attempt stored of one row of a batch.
type storedRow struct {
	stored bool
	reason retailer.RejectReason // "" for a row stored in scans
}

// storedRows returns, by row index, the rows of batchID of outlet that scans or scan_rejects already
// hold. Row numbers outside 1…n are ignored.
func (s *Store) storedRows(ctx context.Context, outlet, batchID string, n int) ([]storedRow, error) {
	rows, err := s.conn.Query(ctx, "SELECT row_no, '' FROM scans WHERE outlet = ? AND batch_id = ? "+
		"UNION ALL SELECT row_no, reason FROM scan_rejects WHERE outlet = ? AND batch_id = ?",
		outlet, batchID, outlet, batchID)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read stored rows of the batch: %w", err)
	}
	defer rows.Close()
	stored := make([]storedRow, n)
	for rows.Next() {
		var rowNo uint32
		var reason string
		if err := rows.Scan(&rowNo, &reason); err != nil {
			return nil, fmt.Errorf("clickhouse: read stored rows of the batch: %w", err)
		}
		if rowNo >= 1 && int(rowNo) <= n && !stored[rowNo-1].stored {
			stored[rowNo-1] = storedRow{stored: true, reason: retailer.RejectReason(reason)}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: read stored rows of the batch: %w", err)
	}
	return stored, nil
}

// insert runs one INSERT of rows given column by column, in the order of query's columns, and waits
// until the server has written them.
func (s *Store) insert(ctx context.Context, query string, columns ...any) error {
	return stores.InsertColumns(ctx, s.conn, query, columns...)
}
