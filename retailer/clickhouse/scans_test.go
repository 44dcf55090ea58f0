package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/retailer"
)

func TestWriteScanBatchAndReplay(t *testing.T) {
	ctx := context.Background()
	s := New(storestest.ClickHouse(t))
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	at := time.Date(2026, 11, 22, 17, 30, 15, 0, time.FixedZone("CST", 8*3600))
	rows := []retailer.Scan{
		{Outlet: "O1", Brand: "B1", Kind: retailer.SellOut, At: at, Qty: 20},
		{Outlet: "O1", Brand: "B9", Kind: retailer.SellOut, At: at, Qty: 3},
		{Outlet: "O1", Brand: "B1", Kind: retailer.StockCount, At: at, Qty: 1e6},
		{Outlet: "O1", Brand: "B1", Kind: retailer.SellOut, At: at, Qty: 20},
		{Outlet: "O1", Brand: "B2", Kind: retailer.StockCount, At: at, Qty: 30},
	}
	known := func(b string) bool { return b != "B9" }
	rejects := retailer.ValidateScans(rows, now, known, nil)
	b := retailer.ScanBatch{Outlet: "O1", ID: "t-1", Received: now, Rows: rows, Rejects: rejects}

	if _, found, err := s.ScanOutcome(ctx, "O1", "t-1"); err != nil || found {
		t.Fatalf("ScanOutcome before writing = found %v, %v; want not found", found, err)
	}
	first, err := s.WriteScanBatch(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if first.Accepted != 2 || len(first.Rejects) != 3 || first.Replay {
		t.Fatalf("WriteScanBatch = %+v; want 2 accepted, 3 rejected", first)
	}
	replay, found, err := s.ScanOutcome(ctx, "O1", "t-1")
	if err != nil || !found {
		t.Fatalf("ScanOutcome after writing = found %v, %v; want found", found, err)
	}
	first.Replay = true
	if !reflect.DeepEqual(replay, first) {
		t.Errorf("ScanOutcome = %+v; want the first outcome %+v", replay, first)
	}
	if _, found, _ := s.ScanOutcome(ctx, "O2", "t-1"); found {
		t.Error("the batch id of outlet O1 was found for outlet O2")
	}
	// Writing a batch stored complete writes nothing and answers with the stored outcome, even when
	// this attempt judged its rows otherwise.
	again := b
	again.Rejects = nil
	if got, err := s.WriteScanBatch(ctx, again); err != nil || !reflect.DeepEqual(got, first) {
		t.Errorf("WriteScanBatch of a stored batch = %+v, %v; want the stored outcome %+v", got, err, first)
	}
	scans, rejected, batches, err := s.ScanRows(ctx)
	if err != nil || scans != 2 || rejected != 3 || batches != 1 {
		t.Errorf("ScanRows = %d, %d, %d, %v; want 2, 3, 1", scans, rejected, batches, err)
	}

	bad := b
	bad.ID, bad.Rejects = "t-2", []retailer.ScanReject{{Row: 6, Reason: retailer.RejectDuplicate}}
	if _, err := s.WriteScanBatch(ctx, bad); !errors.Is(err, ErrInvalidReject) {
		t.Errorf("WriteScanBatch with a reject of row 6 of 5 = %v; want ErrInvalidReject", err)
	}
}

// An attempt that stopped after storing some rows: the next one writes only the missing rows, and the
// stored rows keep their verdict.
func TestWriteScanBatchAfterInterruptedAttempt(t *testing.T) {
	ctx := context.Background()
	s := New(storestest.ClickHouse(t))
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	at := now.Add(-time.Hour)
	var rows []retailer.Scan
	for i := range 6 {
		rows = append(rows, retailer.Scan{Outlet: "O1", Brand: "B1", Kind: retailer.SellOut, At: at.Add(time.Duration(i) * time.Minute), Qty: float64(i)})
	}
	day := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	// The interrupted attempt stored rows 1 and 2 as accepted and row 3 as a duplicate.
	if err := s.insert(ctx, "INSERT INTO scans (outlet, brand, kind, scanned_at, day, qty, batch_id, row_no, received_at)",
		[]string{"O1", "O1"}, []string{"B1", "B1"}, []string{"sellout", "sellout"}, []time.Time{at, at.Add(time.Minute)},
		[]time.Time{day, day}, []float64{0, 1}, []string{"t-1", "t-1"}, []uint32{1, 2}, []time.Time{now, now}); err != nil {
		t.Fatal(err)
	}
	if err := s.insert(ctx, "INSERT INTO scan_rejects (outlet, batch_id, row_no, brand, kind, scanned_at, qty, reason, received_at)",
		[]string{"O1"}, []string{"t-1"}, []uint32{3}, []string{"B1"}, []string{"sellout"}, []time.Time{at.Add(2 * time.Minute)},
		[]float64{2}, []string{string(retailer.RejectDuplicate)}, []time.Time{now}); err != nil {
		t.Fatal(err)
	}
	// This attempt's verdict: row 2 rejected, rows 1 and 3-6 accepted.
	b := retailer.ScanBatch{Outlet: "O1", ID: "t-1", Received: now, Rows: rows,
		Rejects: []retailer.ScanReject{{Row: 2, Reason: retailer.RejectFutureTime}}}
	out, err := s.WriteScanBatch(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	wantRejects := []retailer.ScanReject{{Row: 3, Reason: retailer.RejectDuplicate, Detail: retailer.RejectDuplicate.Explain(rows[2])}}
	if out.Accepted != 5 || !reflect.DeepEqual(out.Rejects, wantRejects) {
		t.Errorf("WriteScanBatch = %+v; want 5 accepted and row 3 a duplicate, as stored", out)
	}
	var perRow []uint64
	rs, err := s.conn.Query(ctx, "SELECT count() FROM (SELECT row_no FROM scans WHERE batch_id = 't-1' "+
		"UNION ALL SELECT row_no FROM scan_rejects WHERE batch_id = 't-1') GROUP BY row_no ORDER BY row_no")
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var n uint64
		if err := rs.Scan(&n); err != nil {
			t.Fatal(err)
		}
		perRow = append(perRow, n)
	}
	rs.Close()
	if !reflect.DeepEqual(perRow, []uint64{1, 1, 1, 1, 1, 1}) {
		t.Errorf("stored copies per row = %v; want each of the 6 rows once", perRow)
	}
	replay, found, err := s.ScanOutcome(ctx, "O1", "t-1")
	if err != nil || !found || replay.Accepted != 5 || !reflect.DeepEqual(replay.Rejects, wantRejects) {
		t.Errorf("ScanOutcome = %+v, %v, %v; want the outcome of the completed attempt", replay, found, err)
	}
}

func TestRecentSellOut(t *testing.T) {
	ctx := context.Background()
	s := New(storestest.ClickHouse(t))
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	from := retailer.SellOutWindowStart(now) // 2026-09-27
	row := func(brand string, kind retailer.ScanKind, at time.Time, qty float64) retailer.Scan {
		return retailer.Scan{Outlet: "O1", Brand: brand, Kind: kind, At: at, Qty: qty}
	}
	batches := []retailer.ScanBatch{
		{Outlet: "O1", ID: "old", Received: now, Rows: []retailer.Scan{
			row("B1", retailer.SellOut, from.Add(-time.Second), 1000), // the day before the window
			row("B1", retailer.SellOut, from, 10),
		}},
		{Outlet: "O1", ID: "recent", Received: now, Rows: []retailer.Scan{
			row("B1", retailer.SellOut, now.Add(-time.Hour), 5),
			row("B1", retailer.StockCount, now.Add(-time.Hour), 700), // not sell-out
			row("B2", retailer.SellOut, now.Add(-time.Hour), 7),
		}},
		{Outlet: "O1", ID: "this", Received: now, Rows: []retailer.Scan{row("B1", retailer.SellOut, now, 100)}},
		{Outlet: "O2", ID: "other", Received: now, Rows: []retailer.Scan{row("B1", retailer.SellOut, now, 100)}},
	}
	for _, b := range batches {
		if _, err := s.WriteScanBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.RecentSellOut(ctx, "O1", "this", from, now)
	if want := map[string]float64{"B1": 15, "B2": 7}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("RecentSellOut = %v, %v; want %v", got, err, want)
	}
}

// The committer writes every batch exactly once, in groups, and gives each caller its group's error.
func TestCommitterGroups(t *testing.T) {
	var c committer[*pendingBatch]
	var mu sync.Mutex
	written := map[string]int{}
	groups := 0
	failed := map[string]bool{}
	var writing, mostWriting int
	write := func(ctx context.Context, g []*pendingBatch) error {
		mu.Lock()
		writing++
		mostWriting = max(mostWriting, writing)
		mu.Unlock()
		time.Sleep(2 * time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		writing--
		groups++
		fail := groups%3 == 0
		for _, p := range g {
			written[p.batch.ID]++
			if fail {
				failed[p.batch.ID] = true
			}
		}
		if fail {
			return errors.New("insert failed")
		}
		return nil
	}
	const n = 200
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := &pendingBatch{batch: retailer.ScanBatch{ID: fmt.Sprint(i)}, newRows: 1000 * (i % 7)}
			errs[i] = c.submit(context.Background(), []*pendingBatch{p}, p.newRows, write, nil)
		}()
	}
	wg.Wait()
	for i := range n {
		id := fmt.Sprint(i)
		if written[id] != 1 {
			t.Errorf("batch %s written %d times; want once", id, written[id])
		}
		if (errs[i] != nil) != failed[id] {
			t.Errorf("batch %s: submit = %v; want an error exactly when its group failed (%v)", id, errs[i], failed[id])
		}
	}
	if mostWriting > maxWriting {
		t.Errorf("%d groups written at the same time; want at most %d", mostWriting, maxWriting)
	}
	if groups >= n {
		t.Errorf("%d groups for %d concurrent batches; want batches to share writes", groups, n)
	}
	if c.writing != 0 || len(c.queue) != 0 {
		t.Errorf("committer left %d writes under way with %d queued groups", c.writing, len(c.queue))
	}
}

// Concurrent uploads of different batches are all stored, each once.
func TestWriteScanBatchConcurrent(t *testing.T) {
	ctx := context.Background()
	s := New(storestest.ClickHouse(t))
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	const batches, rows = 24, 300
	var wg sync.WaitGroup
	errs := make([]error, batches)
	for b := range batches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var rs []retailer.Scan
			for i := range rows {
				rs = append(rs, retailer.Scan{Brand: "B1", Kind: retailer.SellOut, At: now.Add(-time.Duration(i) * time.Second), Qty: 1})
			}
			_, errs[b] = s.WriteScanBatch(ctx, retailer.ScanBatch{Outlet: fmt.Sprintf("O%d", b%5), ID: fmt.Sprint("c-", b),
				Received: now, Rows: rs, Rejects: []retailer.ScanReject{{Row: 1, Reason: retailer.RejectDuplicate}}})
		}()
	}
	wg.Wait()
	for b, err := range errs {
		if err != nil {
			t.Errorf("batch %d: %v", b, err)
		}
	}
	scans, rejects, nBatches, err := s.ScanRows(ctx)
	if err != nil || scans != batches*(rows-1) || rejects != batches || nBatches != batches {
		t.Errorf("ScanRows = %d, %d, %d, %v; want %d, %d, %d", scans, rejects, nBatches, err, batches*(rows-1), batches, batches)
	}
}

// Batches written together by one group, some stored complete already and some new, are each settled
// on their own: the stored ones answer with their stored outcome and write nothing. Groups mix first
// attempts (WriteFirstScanBatch, not looked up) with other writes.
func TestWriteScanBatchGroupsReplaysAndNewBatches(t *testing.T) {
	ctx := context.Background()
	s := New(storestest.ClickHouse(t))
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	batch := func(id string) retailer.ScanBatch {
		rs := make([]retailer.Scan, 50)
		for i := range rs {
			rs[i] = retailer.Scan{Outlet: "O1", Brand: "B1", Kind: retailer.SellOut, At: now.Add(-time.Duration(i) * time.Second), Qty: 1}
		}
		return retailer.ScanBatch{Outlet: "O1", ID: id, Received: now, Rows: rs,
			Rejects: []retailer.ScanReject{{Row: 2, Reason: retailer.RejectDuplicate}}}
	}
	first, err := s.WriteScanBatch(ctx, batch("old"))
	if err != nil {
		t.Fatal(err)
	}
	// Goroutine 0 writes "old" again while the others write new batches, the odd ones as first attempts.
	const n = 9
	outs, errs := make([]retailer.ScanOutcome, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := batch(fmt.Sprint("new-", i))
			switch {
			case i == 0:
				outs[i], errs[i] = s.WriteScanBatch(ctx, batch("old"))
			case i%2 == 1:
				outs[i], errs[i] = s.WriteFirstScanBatch(ctx, b)
			default:
				outs[i], errs[i] = s.WriteScanBatch(ctx, b)
			}
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("batch %d: %v", i, errs[i])
		}
	}
	want := first
	want.Replay = true
	if !reflect.DeepEqual(outs[0], want) {
		t.Errorf("replay in a group = %+v; want the stored outcome %+v", outs[0], want)
	}
	for i := 1; i < n; i++ {
		if outs[i].Replay || outs[i].Accepted != 49 || len(outs[i].Rejects) != 1 {
			t.Errorf("new batch %d = %+v; want 49 accepted and 1 rejected, written", i, outs[i])
		}
	}
	scans, rejects, batches, err := s.ScanRows(ctx)
	if want := uint64(n); err != nil || scans != 49*want || rejects != want || batches != want {
		t.Errorf("ScanRows = %d, %d, %d, %v; want %d, %d, %d", scans, rejects, batches, err, 49*want, want, want)
	}
	for _, id := range []string{"new-1", "new-2"} {
		if replay, found, err := s.ScanOutcome(ctx, "O1", id); err != nil || !found || replay.Accepted != 49 || len(replay.Rejects) != 1 {
			t.Errorf("ScanOutcome(%s) = %+v, %v, %v; want it stored complete", id, replay, found, err)
		}
	}
}

// WriteFirstScanBatch does not look for an earlier attempt's rows (its caller vouches that there is
// none): rows already stored for the batch are written again, where WriteScanBatch completes the
// batch. This is the read that first attempts save.
func TestWriteFirstScanBatchDoesNotRead(t *testing.T) {
	ctx := context.Background()
	s := New(storestest.ClickHouse(t))
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	rows := []retailer.Scan{{Outlet: "O1", Brand: "B1", Kind: retailer.SellOut, At: now, Qty: 1},
		{Outlet: "O1", Brand: "B2", Kind: retailer.SellOut, At: now, Qty: 1}}
	day := now.Truncate(24 * time.Hour)
	for _, id := range []string{"first", "retry"} {
		if err := s.insert(ctx, "INSERT INTO scans (outlet, brand, kind, scanned_at, day, qty, batch_id, row_no, received_at)",
			[]string{"O1"}, []string{"B1"}, []string{"sellout"}, []time.Time{now}, []time.Time{day}, []float64{1},
			[]string{id}, []uint32{1}, []time.Time{now}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.WriteFirstScanBatch(ctx, retailer.ScanBatch{Outlet: "O1", ID: "first", Received: now, Rows: rows}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteScanBatch(ctx, retailer.ScanBatch{Outlet: "O1", ID: "retry", Received: now, Rows: rows}); err != nil {
		t.Fatal(err)
	}
	var first, retry uint64
	if err := s.conn.QueryRow(ctx, "SELECT countIf(batch_id = 'first'), countIf(batch_id = 'retry') FROM scans").Scan(&first, &retry); err != nil {
		t.Fatal(err)
	}
	if first != 3 || retry != 2 {
		t.Errorf("rows stored: %d of the first attempt, %d of the retry; want 3 (not looked up) and 2 (completed)", first, retry)
	}
}

// A group's then runs once its write succeeded and its turn has gone to the next group, whose write
// may run meanwhile; then's error is every caller's; a failed write skips then.
func TestCommitterThen(t *testing.T) {
	ctx := context.Background()
	c := committer[string]{limit: 1}
	aWriting, bQueued, bWrote := make(chan struct{}), make(chan struct{}), make(chan struct{})
	errThen, errWrite := errors.New("then failed"), errors.New("write failed")
	var errA, errB error
	thenB := false
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		errA = c.submit(ctx, []string{"a"}, 1, func(context.Context, []string) error {
			close(aWriting)
			<-bQueued
			return nil
		}, func(context.Context, []string) error {
			select {
			case <-bWrote:
				return errThen
			case <-time.After(10 * time.Second): // a guard against a hang, not a measurement
				return errors.New("the next group's write did not run while then ran")
			}
		})
	}()
	<-aWriting
	go func() {
		defer wg.Done()
		errB = c.submit(ctx, []string{"b"}, 1, func(context.Context, []string) error {
			close(bWrote)
			return errWrite
		}, func(context.Context, []string) error {
			thenB = true
			return nil
		})
	}()
	for { // wait until b is queued behind a
		c.mu.Lock()
		queued := len(c.queue) == 1
		c.mu.Unlock()
		if queued {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(bQueued)
	wg.Wait()
	if !errors.Is(errA, errThen) {
		t.Errorf("submit a = %v; want then's error", errA)
	}
	if !errors.Is(errB, errWrite) || thenB {
		t.Errorf("submit b = %v, then ran: %v; want the write's error and then skipped", errB, thenB)
	}
	if c.writing != 0 || len(c.queue) != 0 {
		t.Errorf("committer left %d writes under way with %d queued groups", c.writing, len(c.queue))
	}
}
