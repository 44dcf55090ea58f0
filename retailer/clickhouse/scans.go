package clickhouse

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/retailer"
)

// Uploads through the API are written here so that they are idempotent without any help from
// ClickHouse's insert deduplication (none on plain MergeTree tables in 18.16, and off on the cluster):
//
//   - A batch is complete when scan_batches has its row. ScanOutcome looks for it (outlet and batch_id
//     are the table's sorting key) and rebuilds the first answer from it and from scan_rejects;
//     WriteScanBatch does the same before it writes anything, and writes nothing for a complete batch.
//   - WriteScanBatch writes scans and scan_rejects, then the scan_batches row once both INSERTs are
//     acknowledged, so a batch row never exists without the rows it counts.
//   - An attempt that stopped between those INSERTs (a crash, a lost connection, a cancelled request)
//     leaves rows of the batch without its batch row. Deleting them is no remedy (ALTER TABLE … DELETE
//     is an asynchronous mutation), so the next attempt reads the row numbers already stored for the
//     batch (scans and scan_rejects both sort by outlet and batch_id first: a cheap read, made by the
//     query that looks for the batch row, one for all the batches written together), keeps the
//     verdict they were stored with, and writes only the rows that are missing. Rows are never
//     written twice, and the batch row, written last, counts every row once. This also covers an
//     INSERT that failed after writing some of its parts (one per month the rows span) and one that
//     the server completed although the client saw an error.
//
// What the read cannot see is an INSERT a server holds and has not committed yet (one that stalled in
// the middle, a part the other replica has not fetched): should it land after a retry wrote the same
// rows, they are stored twice. scans is a ReplacingMergeTree on (outlet, batch_id, row_no) for that
// (migration 0006), and the readers that add its rows up read it with FINAL; scan_rejects and
// scan_batches were ReplacingMergeTrees already.
//
// Two attempts at the same batch running at the same time could still both write it: callers
// serialise attempts per batch (the HTTP adapter claims each batch in PostgreSQL, across every
// instance, before it writes). Concurrent uploads of different batches share INSERTs (see
// WriteScanBatch).
//
// The read is what an upload costs most besides its rows (one query over every part of three tables),
// and it finds nothing for almost every batch: a batch's first attempt. A caller that knows an attempt
// is the batch's first (the HTTP adapter does: its claim in PostgreSQL is the first ever made for the
// batch, and claims are made before anything is written and never deleted) writes it with
// WriteFirstScanBatch, which skips the read for that batch.

// ScanOutcome returns the outcome stored for upload batchID of outlet (a licence number), with
// Replay set; found is false when the batch is not stored complete.
func (s *Store) ScanOutcome(ctx context.Context, outlet, batchID string) (out retailer.ScanOutcome, found bool, err error) {
	key := batchKey{outlet, batchID}
	stored, err := s.storedBatches(ctx, []batchKey{key}, false)
	if err != nil {
		return out, false, err
	}
	st := stored[key]
	return st.outcome, st.complete, nil
}

// batchKey names an upload: its outlet and batch id.
type batchKey struct{ outlet, id string }

// storedBatch is what the store holds of one upload.
type storedBatch struct {
	complete bool                 // scan_batches has its row
	outcome  retailer.ScanOutcome // when complete: the stored outcome, Replay set
	// The rows scans and scan_rejects hold, by row number, with the reason each was rejected for (""
	// for a row in scans); the rows of scans only when asked for.
	rows    map[uint32]retailer.RejectReason
	first   time.Time             // received_at of the batch row that counts
	rejects []retailer.ScanReject // the rows of scan_rejects, explained
}

// storedBatches reads, in one query, the rows scan_batches holds for the batches keys, the rejected
// rows scan_rejects holds and, with accepted, the row numbers scans holds. The result has an entry for
// each key. A row stored twice (ReplacingMergeTree copies not merged yet) counts once, and the
// earliest batch row counts.
func (s *Store) storedBatches(ctx context.Context, keys []batchKey, accepted bool) (map[batchKey]*storedBatch, error) {
	out := make(map[batchKey]*storedBatch, len(keys))
	outlets, ids := make([]any, 0, len(keys)), make([]any, 0, len(keys))
	seenOutlet, seenID := map[string]bool{}, map[string]bool{}
	for _, k := range keys {
		out[k] = &storedBatch{rows: map[uint32]retailer.RejectReason{}}
		if !seenOutlet[k.outlet] {
			seenOutlet[k.outlet] = true
			outlets = append(outlets, k.outlet)
		}
		if !seenID[k.id] {
			seenID[k.id] = true
			ids = append(ids, k.id)
		}
	}
	// outlet IN (…) AND batch_id IN (…) may name other pairs too: they are left out below.
	where := "WHERE outlet IN (?" + strings.Repeat(", ?", len(outlets)-1) + ") AND batch_id IN (?" + strings.Repeat(", ?", len(ids)-1) + ")"
	args := append(outlets[:len(outlets):len(outlets)], ids...)
	query := "SELECT 'batch', outlet, batch_id, toUInt32(0), '', '', toDateTime(0), toFloat64(0), '', accepted, rejected, received_at " +
		"FROM scan_batches " + where +
		" UNION ALL SELECT 'reject', outlet, batch_id, row_no, brand, kind, scanned_at, qty, reason, toUInt32(0), toUInt32(0), toDateTime(0) " +
		"FROM scan_rejects " + where
	queryArgs := append(append([]any{}, args...), args...)
	if accepted {
		query += " UNION ALL SELECT 'scan', outlet, batch_id, row_no, '', '', toDateTime(0), toFloat64(0), '', toUInt32(0), toUInt32(0), toDateTime(0) " +
			"FROM scans " + where
		queryArgs = append(queryArgs, args...)
	}
	rows, err := s.conn.Query(ctx, query, queryArgs...)
	if err != nil {
		return nil, unavailable(fmt.Errorf("clickhouse: read stored batches: %w", err))
	}
	defer rows.Close()
	for rows.Next() {
		var source, kind, reason string
		var k batchKey
		var rowNo, nAccepted, nRejected uint32
		var received time.Time
		var row retailer.Scan
		if err := rows.Scan(&source, &k.outlet, &k.id, &rowNo, &row.Brand, &kind, &row.At, &row.Qty, &reason,
			&nAccepted, &nRejected, &received); err != nil {
			return nil, unavailable(fmt.Errorf("clickhouse: read stored batches: %w", err))
		}
		st := out[k]
		if st == nil {
			continue // another pair
		}
		switch _, dup := st.rows[rowNo]; {
		case source == "batch":
			if !st.complete || received.Before(st.first) {
				st.complete, st.first = true, received
				st.outcome = retailer.ScanOutcome{BatchID: k.id, Accepted: int(nAccepted), Replay: true}
			}
		case dup:
		case source == "reject":
			row.Outlet, row.Kind = k.outlet, retailer.ScanKind(kind)
			r := retailer.RejectReason(reason)
			st.rows[rowNo] = r
			st.rejects = append(st.rejects, retailer.ScanReject{Row: int(rowNo), Reason: r, Detail: r.Explain(row)})
		default: // scan
			st.rows[rowNo] = ""
		}
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable(fmt.Errorf("clickhouse: read stored batches: %w", err))
	}
	for _, st := range out {
		if st.complete {
			sort.Slice(st.rejects, func(i, j int) bool { return st.rejects[i].Row < st.rejects[j].Row })
			st.outcome.Rejects = st.rejects
		}
	}
	return out, nil
}

// RecentSellOut returns, per brand, the packs of sell-out stored for outlet on the UTC days from
// from to to (both included), leaving out the rows of batch excludeBatch (the upload being checked,
// of which an interrupted attempt may have stored some rows). A row stored twice counts once (FINAL).
func (s *Store) RecentSellOut(ctx context.Context, outlet, excludeBatch string, from, to time.Time) (map[string]float64, error) {
	rows, err := s.conn.Query(ctx, "SELECT brand, sum(qty) FROM (SELECT outlet, batch_id, row_no, brand, qty FROM scans FINAL "+
		"WHERE outlet = ? AND kind = 'sellout' AND day >= toDate(?) AND day <= toDate(?) AND batch_id != ?) GROUP BY brand",
		outlet, from.UTC().Format(time.DateOnly), to.UTC().Format(time.DateOnly), excludeBatch)
	if err != nil {
		return nil, unavailable(fmt.Errorf("clickhouse: read recent sell-out: %w", err))
	}
	defer rows.Close()
	sellOut := map[string]float64{}
	for rows.Next() {
		var brand string
		var qty float64
		if err := rows.Scan(&brand, &qty); err != nil {
			return nil, unavailable(fmt.Errorf("clickhouse: read recent sell-out: %w", err))
		}
		sellOut[brand] = qty
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable(fmt.Errorf("clickhouse: read recent sell-out: %w", err))
	}
	return sellOut, nil
}

// WriteScanBatch stores one validated upload: its accepted rows in scans, its rejected ones in
// scan_rejects, then its row in scan_batches, and returns its outcome once ClickHouse has acknowledged
// all three. An upload stored complete already is not written again: its stored outcome comes back,
// with Replay set. b.Rejects must name each row at most once (ErrInvalidReject otherwise) and carry
// their reasons; rows an earlier, interrupted attempt at the batch stored keep the verdict they were
// stored with (see the comment at the top of this file). The caller must not write the same batch
// twice at the same time.
//
// Concurrent calls share their work (group commit): ClickHouse spends far more on each query and each
// INSERT (a new part to write and later merge) than on each row, so batches that arrive while
// maxWriting groups are being written are written together by the next one, with one query that finds
// what is stored of them and one INSERT a table; the batch rows go once the group's rows are
// acknowledged, with those of other groups that wait at the same time. A failed query or INSERT fails
// every batch of its group; their retries complete them.
func (s *Store) WriteScanBatch(ctx context.Context, b retailer.ScanBatch) (retailer.ScanOutcome, error) {
	return s.writeScanBatch(ctx, b, false)
}

// WriteFirstScanBatch stores b as WriteScanBatch does, for a caller that guarantees that no earlier
// attempt at b wrote anything (its attempt is the first that anyone made at the batch): it does not
// look for what an earlier attempt stored, which saves a query. Writing a batch an earlier attempt
// stored rows of this way stores them twice.
func (s *Store) WriteFirstScanBatch(ctx context.Context, b retailer.ScanBatch) (retailer.ScanOutcome, error) {
	return s.writeScanBatch(ctx, b, true)
}

func (s *Store) writeScanBatch(ctx context.Context, b retailer.ScanBatch, first bool) (retailer.ScanOutcome, error) {
	if len(b.Rows) > math.MaxUint32 {
		return retailer.ScanOutcome{}, fmt.Errorf("clickhouse: batch %s: %d rows: too many", b.ID, len(b.Rows))
	}
	p := &pendingBatch{batch: b, verdict: make([]retailer.RejectReason, len(b.Rows)), newRows: len(b.Rows), first: first} // "" accepted
	for _, rej := range b.Rejects {
		if rej.Row < 1 || rej.Row > len(b.Rows) || p.verdict[rej.Row-1] != "" || rej.Reason == "" {
			return retailer.ScanOutcome{}, fmt.Errorf("clickhouse: batch %s: rejected row %d: %w", b.ID, rej.Row, ErrInvalidReject)
		}
		p.verdict[rej.Row-1] = rej.Reason
	}
	if err := s.uploads.submit(ctx, []*pendingBatch{p}, p.newRows, s.writeGroupRows, s.writeGroupBatches); err != nil {
		return retailer.ScanOutcome{}, unavailable(err)
	}
	return p.out, nil
}

// pendingBatch is a batch to be written: its rows with their verdicts, and, once settled, what an
// earlier attempt stored of them (not written again) and its outcome.
type pendingBatch struct {
	batch   retailer.ScanBatch
	verdict []retailer.RejectReason // by row index; "" accepted
	stored  []bool                  // by row index: an earlier attempt stored the row
	newRows int                     // rows not stored yet (all of them until settled)
	first   bool                    // the batch's first attempt: nothing of it is stored
	out     retailer.ScanOutcome
	// rowsWritten: the batch was not complete, and its rows are now all stored; its batch row is next.
	rowsWritten bool
}

// settle works out p's outcome from what the store holds of it and reports whether rows are left to
// write: none when the batch is complete, whose stored outcome p takes.
// A nil st is a batch nothing of which is stored.
func (p *pendingBatch) settle(st *storedBatch) bool {
	if st != nil && st.complete {
		p.out = st.outcome
		return false
	}
	rows := p.batch.Rows
	p.stored = make([]bool, len(rows))
	if st != nil {
		for rowNo, reason := range st.rows {
			if rowNo >= 1 && int(rowNo) <= len(rows) {
				p.stored[rowNo-1], p.verdict[rowNo-1] = true, reason
			}
		}
	}
	p.out, p.newRows = retailer.ScanOutcome{BatchID: p.batch.ID}, 0
	for i, row := range rows {
		if !p.stored[i] {
			p.newRows++
		}
		if p.verdict[i] != "" {
			p.out.Rejects = append(p.out.Rejects, retailer.ScanReject{Row: i + 1, Reason: p.verdict[i], Detail: p.verdict[i].Explain(row)})
		}
	}
	p.out.Accepted = len(rows) - len(p.out.Rejects)
	return true
}

// scanColumns are the columns of an INSERT into scans or scan_rejects.
type scanColumns struct {
	outlet, brand, kind, batchID, reason []string
	at, day, received                    []time.Time
	qty                                  []float64
	rowNo                                []uint32
}

// columns returns empty columns with room for n rows, from the store's pool; put them back with
// putColumns once their INSERT has returned (the driver copies what it is given).
func (s *Store) columns(n int) *scanColumns {
	c, _ := s.columnPool.Get().(*scanColumns)
	if c == nil {
		c = &scanColumns{}
	}
	c.outlet, c.brand, c.kind = room(c.outlet, n), room(c.brand, n), room(c.kind, n)
	c.batchID, c.reason = room(c.batchID, n), room(c.reason, n)
	c.at, c.day, c.received = room(c.at, n), room(c.day, n), room(c.received, n)
	c.qty, c.rowNo = room(c.qty, n), room(c.rowNo, n)
	return c
}

// maxPooledRows bounds the columns kept for reuse: a group's worth, not a bulk load's.
const maxPooledRows = maxGroupRows

// putColumns gives c back to the pool, dropping its strings so that the pool keeps no batch alive.
func (s *Store) putColumns(c *scanColumns) {
	if cap(c.outlet) > maxPooledRows {
		return
	}
	for _, col := range []*[]string{&c.outlet, &c.brand, &c.kind, &c.batchID, &c.reason} {
		clear(*col)
		*col = (*col)[:0]
	}
	s.columnPool.Put(c)
}

// room returns xs emptied, with room for n elements (the same array when it has it).
func room[T any](xs []T, n int) []T {
	if cap(xs) < n {
		return make([]T, 0, n)
	}
	return xs[:0]
}

func (c *scanColumns) add(b *retailer.ScanBatch, i int) {
	row := &b.Rows[i]
	t := row.At.UTC()
	c.outlet = append(c.outlet, b.Outlet)
	c.brand = append(c.brand, row.Brand)
	c.kind = append(c.kind, string(row.Kind))
	c.at = append(c.at, t)
	c.day = append(c.day, t.Truncate(24*time.Hour)) // UTC midnight: Truncate counts from a UTC midnight
	c.qty = append(c.qty, row.Qty)
	c.batchID = append(c.batchID, b.ID)
	c.rowNo = append(c.rowNo, uint32(i+1))
	c.received = append(c.received, b.Received)
}

// writeGroupRows writes the rows of a group of batches: it reads what is stored of those that are not
// first attempts (one query, none when all are), settles the outcome of each, then writes the new
// accepted rows of those not complete into scans and their new rejected rows into scan_rejects (two
// INSERTs at the same time), and marks those batches rowsWritten once both are acknowledged. Their
// batch rows are writeGroupBatches' part.
func (s *Store) writeGroupRows(ctx context.Context, all []*pendingBatch) error {
	var keys []batchKey
	for _, p := range all {
		if !p.first {
			keys = append(keys, batchKey{p.batch.Outlet, p.batch.ID})
		}
	}
	var stored map[batchKey]*storedBatch
	if len(keys) > 0 {
		var err error
		if stored, err = s.storedBatches(ctx, keys, true); err != nil {
			return err
		}
	}
	group := all[:0:0]
	for _, p := range all {
		var st *storedBatch
		if !p.first {
			st = stored[batchKey{p.batch.Outlet, p.batch.ID}]
		}
		if p.settle(st) {
			group = append(group, p)
		}
	}
	if len(group) == 0 {
		return nil
	}
	var nAcc, nRej int
	for _, p := range group {
		for i := range p.batch.Rows {
			switch {
			case p.stored[i]:
			case p.verdict[i] == "":
				nAcc++
			default:
				nRej++
			}
		}
	}
	acc, rej := s.columns(nAcc), s.columns(nRej)
	defer s.putColumns(acc)
	defer s.putColumns(rej)
	for _, p := range group {
		for i := range p.batch.Rows {
			switch {
			case p.stored[i]:
			case p.verdict[i] == "":
				acc.add(&p.batch, i)
			default:
				rej.add(&p.batch, i)
				rej.reason = append(rej.reason, string(p.verdict[i]))
			}
		}
	}
	// The accepted and the rejected rows go at the same time: only the batch rows must come after both.
	rows, rctx := errgroup.WithContext(ctx)
	if len(acc.outlet) > 0 {
		rows.Go(func() error {
			if err := s.insertBlocks(rctx, "INSERT INTO scans (outlet, brand, kind, scanned_at, day, qty, batch_id, row_no, received_at)",
				len(acc.outlet), acc.outlet, acc.brand, acc.kind, acc.at, acc.day, acc.qty, acc.batchID, acc.rowNo, acc.received); err != nil {
				return fmt.Errorf("clickhouse: write scans: %w", err)
			}
			return nil
		})
	}
	if len(rej.outlet) > 0 {
		rows.Go(func() error {
			if err := s.insertBlocks(rctx, "INSERT INTO scan_rejects (outlet, batch_id, row_no, brand, kind, scanned_at, qty, reason, received_at)",
				len(rej.outlet), rej.outlet, rej.batchID, rej.rowNo, rej.brand, rej.kind, rej.at, rej.qty, rej.reason, rej.received); err != nil {
				return fmt.Errorf("clickhouse: write scan_rejects: %w", err)
			}
			return nil
		})
	}
	if err := rows.Wait(); err != nil {
		return err
	}
	for _, p := range group {
		p.rowsWritten = true
	}
	return nil
}

// writeGroupBatches writes the batch rows of the batches of a group whose rows writeGroupRows has
// stored. It runs once the group has handed its turn at writing rows to the next group, so that the
// next group's rows go to ClickHouse while these batch rows do; and batch rows of several groups that
// wait meanwhile share one INSERT (s.batchRows). A batch row is still written only once every row it
// counts is acknowledged.
func (s *Store) writeGroupBatches(ctx context.Context, all []*pendingBatch) error {
	var ready []*pendingBatch
	for _, p := range all {
		if p.rowsWritten {
			ready = append(ready, p)
		}
	}
	if len(ready) == 0 {
		return nil
	}
	return s.batchRows.submit(ctx, ready, len(ready), s.insertBatchRows, nil)
}

// insertBatchRows writes the scan_batches rows of batches, whose rows are stored, in one INSERT.
func (s *Store) insertBatchRows(ctx context.Context, batches []*pendingBatch) error {
	n := len(batches)
	outlet, batchID, received := make([]string, n), make([]string, n), make([]time.Time, n)
	accepted, rejected := make([]uint32, n), make([]uint32, n)
	for k, p := range batches {
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
	// maxGroupBatches bounds the batch rows of one INSERT into scan_batches.
	maxGroupBatches = 10_000
)

// maxWriting is how many groups are written at the same time. Two keep ClickHouse busy while a
// group waits for the acknowledgement of one of its INSERTs, without splitting uploads into groups so
// small that their INSERTs cost more than their rows.
const maxWriting = 2

// committer groups concurrent writes (group commit): a caller that finds fewer than maxWriting writes
// under way writes its items at once; callers that arrive while maxWriting are under way join the
// next group, which one of them writes when a write ends. The zero value is ready for use.
type committer[T any] struct {
	mu      sync.Mutex
	queue   []*group[T] // groups waiting to be written, oldest first
	writing int         // groups being written
	limit   int         // groups written at once; 0 means maxWriting
	most    int         // the largest weight of a group; 0 means maxGroupRows
}

type group[T any] struct {
	items  []T
	weight int
	lead   chan struct{} // receives once: the receiver writes the group
	done   chan struct{} // closed when the group is written, err set
	err    error
}

// submit adds items, of weight weight (rows, say), to a group and returns once that group is
// written, with the write's error. A group holds at least one submission, and more while their
// weights add up to at most c.most. write writes a group; then, when not nil, runs after write
// succeeded, once the group has handed its turn to the next group (whose write may then run beside
// then). Both get a context detached from any one caller's cancellation, with groupTimeout.
func (c *committer[T]) submit(ctx context.Context, items []T, weight int, write, then func(context.Context, []T) error) error {
	c.mu.Lock()
	most := c.most
	if most == 0 {
		most = maxGroupRows
	}
	var g *group[T]
	if n := len(c.queue); n > 0 && c.queue[n-1].weight+weight <= most {
		g = c.queue[n-1]
	} else {
		g = &group[T]{lead: make(chan struct{}, 1), done: make(chan struct{})}
		c.queue = append(c.queue, g)
	}
	g.items = append(g.items, items...)
	g.weight += weight
	limit := c.limit
	if limit == 0 {
		limit = maxWriting
	}
	if c.writing < limit { // room for a write: the queue holds only g, and this caller writes it
		c.writing++
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
	defer cancel()
	err := write(wctx, g.items)

	c.mu.Lock()
	if len(c.queue) == 0 {
		c.writing--
	} else { // hand the next group to one of its callers
		next := c.queue[0]
		c.queue = c.queue[1:]
		next.lead <- struct{}{}
	}
	c.mu.Unlock()

	if err == nil && then != nil {
		err = then(wctx, g.items)
	}
	g.err = err
	close(g.done)
	return g.err
}

// insert runs one INSERT of rows given column by column, in the order of query's columns, and waits
// until the server has written them.
func (s *Store) insert(ctx context.Context, query string, columns ...any) error {
	return stores.InsertColumns(ctx, s.conn, query, columns...)
}

// insertBlock is how many rows each block of insertBlocks carries. The driver copies the rows of a
// block into column buffers that it grows step by step, and reuses them for the next block of the
// same INSERT: one block of 5,000 rows makes it allocate about five times what the strings take, blocks
// of a thousand rows once. The server joins the blocks of one INSERT into one part all the same
// (min_insert_block_size_rows).
const insertBlock = 1024

// insertBlocks runs one INSERT of n rows given column by column (slices of string, time.Time, float64
// or uint32, in the order of query's columns), sent in blocks of insertBlock rows, and waits until the
// server has written them.
func (s *Store) insertBlocks(ctx context.Context, query string, n int, columns ...any) error {
	in := stores.NewInsertion(s.conn, query, insertBlock)
	block := make([]any, len(columns))
	for lo := 0; lo < n; lo += insertBlock {
		hi := min(lo+insertBlock, n)
		for i, col := range columns {
			switch c := col.(type) {
			case []string:
				block[i] = c[lo:hi]
			case []time.Time:
				block[i] = c[lo:hi]
			case []float64:
				block[i] = c[lo:hi]
			case []uint32:
				block[i] = c[lo:hi]
			default:
				in.Abort()
				return fmt.Errorf("column %d: %T: not a column insertBlocks knows", i, col)
			}
		}
		if err := in.Append(ctx, hi-lo, block...); err != nil {
			return err
		}
	}
	return in.Finish()
}
