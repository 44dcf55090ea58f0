package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// replicatedRig is `ordercast serve` on a seeded region whose ClickHouse is two shards of two
// replicas over a private ZooKeeper, with what the fault tests below drive it with: retailers'
// sessions (one terminal each), a manager's, and the seeded brands.
type replicatedRig struct {
	cluster *storestest.ClickHouseCluster
	pg, ch  string
	serve   *served
	licence map[int64]string // outlet id → licence number, the outlet of its ClickHouse rows
	tokens  map[int64]string // outlet id → its retailer's bearer token
	outlets []int64
	manager string // manager1's bearer token
	brands  []string
}

// startReplicatedRig starts the cluster, migrates and seeds both stores (40 outlets, 12 weeks), runs a
// forecast and serves them, with a retailer's session for each of the first terminals outlets.
func startReplicatedRig(t *testing.T, terminals int) *replicatedRig {
	t.Helper()
	cluster := storestest.StartClickHouseReplicas(t, 2, 2)
	r := &replicatedRig{cluster: cluster, pg: storestest.MigratedPostgresDSN(t), ch: cluster.DSN()}
	chArgs := []string{"-ch-dsn", r.ch, "-ch-cluster", storestest.ClusterName}
	stores := append([]string{"-pg-dsn", r.pg}, chArgs...)
	for _, step := range [][]string{
		append([]string{"migrate"}, stores...),
		append([]string{"seed", "-outlets", "40", "-brands", "8", "-weeks", "12", "-as-of", "2026-11-22"}, stores...),
		append([]string{"forecast", "run", "-as-of", "2026-11-23", "-horizon", "4"}, chArgs...),
	} {
		if out, stderr, err := runCmd(t, step...); err != nil {
			t.Fatalf("%s: %v\n%s%s", step[0], err, out, stderr)
		}
	}
	r.serve = startServe(t, stores...)
	ctx := context.Background()
	hc := &http.Client{Timeout: 10 * time.Second}
	rs, err := prepareRetailers(ctx, benchConfig{URL: r.serve.url, PostgresDSN: r.pg, Outlets: terminals, Timeout: 10 * time.Second}, hc, false)
	if err != nil {
		t.Fatal(err)
	}
	pool := storestest.OpenPostgres(t, r.pg)
	r.licence, r.tokens = map[int64]string{}, map[int64]string{}
	for _, rt := range rs.list {
		var l string
		if err := pool.QueryRow(ctx, `SELECT licence_no FROM outlets WHERE id = $1`, rt.outletID).Scan(&l); err != nil {
			t.Fatal(err)
		}
		r.licence[rt.outletID], r.tokens[rt.outletID] = l, rt.token
		r.outlets = append(r.outlets, rt.outletID)
	}
	r.manager = apiClient{t: t, base: r.serve.url}.login("manager1", demoPassword).token
	r.brands = seededBrands(t, r.pg, 2)
	return r
}

// faultLoad is what a fault test sends while the fault lasts: terminals uploading scan batches, each
// retried on a 503 (after its Retry-After) or no answer until stored, and readers of the bulletin and
// of an outlet's weeks with its forecast.
type faultLoad struct {
	stored, unavailable, unanswered atomic.Int64

	mu        sync.Mutex
	uploads   []time.Duration // every upload attempt's time to its answer (or the client's timeout)
	reads     []readAnswer
	readsDone chan struct{}
}

// readAnswer is one read's outcome during a fault.
type readAnswer struct {
	path       string
	code       int // 0: no answer within the client's timeout
	retryAfter bool
	took       time.Duration
}

// scanBatches uploads batches batch ids prefix-0… for every terminal of the rig, each until it is
// stored (201 or 200), through hc; onStored is called after each stored batch with the total so far.
// It fails the test on an answer other than 201, 200, or 503 with Retry-After.
func (r *replicatedRig) scanBatches(ctx context.Context, t *testing.T, l *faultLoad, hc *http.Client, prefix string, batches int, onStored func(n int64)) error {
	return forEach(ctx, len(r.outlets), len(r.outlets), func(i int) error {
		outlet := r.outlets[i]
		for b := range batches {
			body := oneBatch(t, fmt.Sprintf("%s-%d", prefix, b), r.brands, time.Now().Add(-time.Hour).Truncate(time.Second))
			for {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				start := time.Now()
				code, retryAfter, raw, err := postScans(ctx, hc, r.serve.url, r.tokens[outlet], outlet, body)
				l.mu.Lock()
				l.uploads = append(l.uploads, time.Since(start))
				l.mu.Unlock()
				switch {
				case err != nil:
					l.unanswered.Add(1)
					continue
				case code == http.StatusServiceUnavailable:
					l.unavailable.Add(1)
					if retryAfter < time.Second {
						return fmt.Errorf("503 without Retry-After: %.200s", raw)
					}
					time.Sleep(retryAfter / 5)
					continue
				case code != http.StatusCreated && code != http.StatusOK:
					return fmt.Errorf("outlet %d batch %d = %d %.300s; want 201, 200, or 503", outlet, b, code, raw)
				}
				break
			}
			if n := l.stored.Add(1); onStored != nil {
				onStored(n)
			}
		}
		return nil
	})
}

// readLoop reads the bulletin (as manager1) and the first terminal's weeks with its forecast (as its
// retailer) in turn, through hc, until stop is closed, and records every answer.
func (r *replicatedRig) readLoop(ctx context.Context, l *faultLoad, hc *http.Client, stop <-chan struct{}) {
	defer close(l.readsDone)
	outlet := r.outlets[0]
	reads := []struct{ path, token string }{
		{"/api/v1/bulletin?limit=20", r.manager},
		{fmt.Sprintf("/api/v1/outlets/%d/weeks?weeks=12", outlet), r.tokens[outlet]},
	}
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		rd := reads[i%len(reads)]
		a := readAnswer{path: rd.path}
		start := time.Now()
		if res, err := getAs(ctx, hc, r.serve.url+rd.path, rd.token); err == nil {
			io.Copy(io.Discard, res.Body) //nolint:errcheck // only the status matters
			res.Body.Close()
			a.code, a.retryAfter = res.StatusCode, res.Header.Get("Retry-After") != ""
		}
		a.took = time.Since(start)
		l.mu.Lock()
		l.reads = append(l.reads, a)
		l.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
}

// readSummary counts the reads by outcome and gives their median time.
func (l *faultLoad) readSummary() (ok, unavailable, other int, median time.Duration, odd []readAnswer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var took []time.Duration
	for _, a := range l.reads {
		took = append(took, a.took)
		switch {
		case a.code == http.StatusOK:
			ok++
		case a.code == http.StatusServiceUnavailable && a.retryAfter:
			unavailable++
		default:
			other++
			odd = append(odd, a)
		}
	}
	slices.Sort(took)
	if len(took) > 0 {
		median = took[len(took)/2]
	}
	return
}

// uploadTimes returns the median and the longest time of an upload attempt.
func (l *faultLoad) uploadTimes() (median, longest time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	took := slices.Clone(l.uploads)
	slices.Sort(took)
	if len(took) == 0 {
		return 0, 0
	}
	return took[len(took)/2], took[len(took)-1]
}

// faultPhase is the load of one phase of a fault test, and when the fault ended.
type faultPhase struct {
	*faultLoad
	storedInFault int64     // batches stored before heal was called
	healedAt      time.Time // when heal was called
}

// underFault breaks something (fault), then runs the load while it lasts: every terminal uploads
// batches batch ids prefix-0… (each retried until stored) and the read loop reads; watch is called
// every second for faultFor, then heal, and the reads stop. It returns once every upload is stored.
func (r *replicatedRig) underFault(ctx context.Context, t *testing.T, hc *http.Client, prefix string, batches int,
	faultFor time.Duration, fault, watch, heal func()) faultPhase {
	t.Helper()
	fault()
	start := time.Now()
	p := faultPhase{faultLoad: &faultLoad{readsDone: make(chan struct{})}}
	stopReads := make(chan struct{})
	go r.readLoop(ctx, p.faultLoad, hc, stopReads)
	uploads := make(chan error, 1)
	go func() { uploads <- r.scanBatches(ctx, t, p.faultLoad, hc, prefix, batches, nil) }()
	for time.Since(start) < faultFor {
		watch()
		time.Sleep(time.Second)
	}
	p.storedInFault = p.stored.Load()
	close(stopReads)
	<-p.readsDone
	heal()
	p.healedAt = time.Now()
	if err := <-uploads; err != nil {
		t.Fatalf("%v\nserve's log:\n%.3000s", err, r.serve.stderr)
	}
	return p
}

// calm uploads one batch per terminal (ids calm-0) and reads meanwhile, every server up: the figures
// a fault's are compared with.
func (r *replicatedRig) calm(ctx context.Context, t *testing.T, hc *http.Client) *faultLoad {
	t.Helper()
	l := &faultLoad{readsDone: make(chan struct{})}
	stop := make(chan struct{})
	go r.readLoop(ctx, l, hc, stop)
	if err := r.scanBatches(ctx, t, l, hc, "calm", 1, nil); err != nil {
		t.Fatalf("%v\nserve's log:\n%.3000s", err, r.serve.stderr)
	}
	time.Sleep(2 * time.Second)
	close(stop)
	<-l.readsDone
	return l
}

// report logs the figures of the calm phase and of the fault, and fails the test for a read not
// answered 200, or 503 with Retry-After, within the client's timeout.
func (p faultPhase) report(t *testing.T, calm *faultLoad, fault string, faultFor, clientTimeout time.Duration) {
	t.Helper()
	ms := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	ok0, _, _, median0, _ := calm.readSummary()
	up0, upMax0 := calm.uploadTimes()
	ok, unavailable, other, median, odd := p.readSummary()
	up, upMax := p.uploadTimes()
	t.Logf("every server up: %d batches stored, upload median %s (longest %s); %d reads answered 200, median %s",
		calm.stored.Load(), ms(up0), ms(upMax0), ok0, ms(median0))
	t.Logf("%s for %s: %d batches stored during it, %d after; upload attempts' median %s (longest %s), %d answered 503, "+
		"%d unanswered; reads: %d answered 200, %d 503 with Retry-After, %d other, median %s", fault, faultFor,
		p.storedInFault, p.stored.Load()-p.storedInFault, ms(up), ms(upMax), p.unavailable.Load(), p.unanswered.Load(),
		ok, unavailable, other, ms(median))
	for _, a := range odd {
		t.Errorf("a read during the fault: GET %s = %d after %s; want 200, or 503 with Retry-After, within %s",
			a.path, a.code, ms(a.took), clientTimeout)
	}
	if ok == 0 {
		t.Error("no read answered 200 during the fault; want reads to go on")
	}
}

// checkStoredOnce fails the test unless every terminal's batches of ids are stored exactly once (4
// scans, 1 reject, 1 batch row each) and serve never answered 500.
func (r *replicatedRig) checkStoredOnce(t *testing.T, ids ...string) {
	t.Helper()
	for _, outlet := range r.outlets {
		for _, batch := range ids {
			if got := chCounts(t, r.ch, r.licence[outlet], batch); got != [3]uint64{4, 1, 1} {
				t.Errorf("outlet %d batch %s: ClickHouse scans, rejects, batches = %v; want [4 1 1]", outlet, batch, got)
			}
		}
	}
	if strings.Contains(r.serve.stderr.String(), `"status":500`) {
		t.Errorf("serve answered 500:\n%s", logLines(r.serve.stderr.String(), `"status":500`))
	}
}

// A ClickHouse replica that hangs (SIGSTOP: its port still accepts connections, nothing answers)
// while 12 terminals upload scans and readers read the bulletin and an outlet's forecast: every
// upload and read is answered within the client's timeout (201 or 200 through the other replica, or
// 503 with Retry-After), every acknowledged batch is stored exactly once, /metrics counts the replica
// down while it hangs, and after SIGCONT it catches up with its partner.
func TestHungReplicaDuringScansAndReads(t *testing.T) {
	r := startReplicatedRig(t, 12)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	// A phone's patience: longer than the first query that meets the hung server waits (the
	// servers' receive_timeout, 15 s, plus ClickHouse's 5 s ping), far shorter than the hang.
	hc := &http.Client{Timeout: 30 * time.Second}
	const hangFor = 25 * time.Second
	calm := r.calm(ctx, t, hc)

	hung := r.cluster.Replica(2, 1)
	defer hung.Resume()
	sawDown := false
	p := r.underFault(ctx, t, hc, "hung", 4, hangFor, hung.Pause, func() {
		sawDown = sawDown || metricValue(t, r.serve.url, "ordercast_clickhouse_replicas_down") == 1
	}, hung.Resume)
	p.report(t, calm, "replica 1 of shard 2 hung", hangFor, hc.Timeout)
	if p.storedInFault == 0 {
		t.Error("no scan batch stored while the replica hung; want the other replica to take them")
	}
	if !sawDown {
		t.Error("ordercast_clickhouse_replicas_down never 1 while the replica hung")
	}
	// Its ZooKeeper session expired while it hung: 18.16 notices within a minute and starts another.
	catchUp(t, r.cluster, 3*time.Minute)
	t.Logf("the replica caught up (SYSTEM SYNC REPLICA on every server) %s after SIGCONT", time.Since(p.healedAt).Round(time.Millisecond))
	r.checkStoredOnce(t, "calm-0", "hung-0", "hung-1", "hung-2", "hung-3")
	eventually(t, 30*time.Second, "ordercast_clickhouse_replicas_down back to 0", func() bool {
		return metricValue(t, r.serve.url, "ordercast_clickhouse_replicas_down") == 0
	})
}

// ZooKeeper stopped while 12 terminals upload scans and readers read: the replicated tables turn
// read-only, an upload is answered 503 with Retry-After (never a 500) and leaves no batch row behind,
// reads go on, /metrics counts the read-only tables; once ZooKeeper is back, each terminal's retry of
// the same batch id is stored exactly once.
func TestZooKeeperDownDuringScansAndReads(t *testing.T) {
	r := startReplicatedRig(t, 12)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	hc := &http.Client{Timeout: 30 * time.Second}
	const downFor = 30 * time.Second
	calm := r.calm(ctx, t, hc)

	zk := r.cluster.ZooKeeper
	defer zk.Start()
	conn := storestest.OpenClickHouse(t, r.ch)
	var readOnly float64
	var halfWritten uint64
	p := r.underFault(ctx, t, hc, "zk", 2, downFor, zk.Stop, func() {
		readOnly = max(readOnly, metricValue(t, r.serve.url, "ordercast_clickhouse_replica_readonly_tables"))
	}, func() {
		// Before ZooKeeper returns: no batch row but those acknowledged.
		var rows uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM scan_batches WHERE startsWith(batch_id, 'zk-')").Scan(&rows); err != nil {
			t.Errorf("count the batch rows with ZooKeeper down: %v", err)
		}
		halfWritten = rows
		zk.Start()
	})
	p.report(t, calm, "ZooKeeper stopped", downFor, hc.Timeout)
	t.Logf("ZooKeeper back: the uploads completed %s after", time.Since(p.healedAt).Round(time.Millisecond))
	if p.unavailable.Load() == 0 {
		t.Error("no upload answered 503 with ZooKeeper down; want 503 with Retry-After")
	}
	if halfWritten != uint64(p.storedInFault) {
		t.Errorf("%d batch rows in ClickHouse with ZooKeeper down, %d batches acknowledged; want the same", halfWritten, p.storedInFault)
	}
	if readOnly <= 0 {
		t.Error("ordercast_clickhouse_replica_readonly_tables never above 0 with ZooKeeper down")
	}
	catchUp(t, r.cluster, 3*time.Minute)
	r.checkStoredOnce(t, "calm-0", "zk-0", "zk-1")
	eventually(t, 2*time.Minute, "ordercast_clickhouse_replica_readonly_tables back to 0", func() bool {
		return metricValue(t, r.serve.url, "ordercast_clickhouse_replica_readonly_tables") == 0
	})
}

// catchUp waits, up to timeout, until every server of the cluster has synced its replicas (SYSTEM
// SYNC REPLICA, refused for a while by a server that hung or lost ZooKeeper past its session), then
// checks that both replicas of each shard hold the same rows.
func catchUp(t *testing.T, cluster *storestest.ClickHouseCluster, timeout time.Duration) {
	t.Helper()
	var fp []map[string]string
	var err error
	deadline := time.Now().Add(timeout)
	for fp, err = syncedFingerprints(t, cluster); err != nil; fp, err = syncedFingerprints(t, cluster) {
		if time.Now().After(deadline) {
			t.Fatalf("the replicas did not catch up within %s: %v", timeout, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	compareReplicas(t, fp)
}

// getAs sends a GET of url with a bearer token through hc, outside the contract client (for load
// loops whose answers the test counts itself).
func getAs(ctx context.Context, hc *http.Client, url, token string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return hc.Do(req)
}
