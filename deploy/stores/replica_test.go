package stores_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// reportEvents records what a ReportPool tells its observer.
type reportEvents struct {
	mu        sync.Mutex
	fallbacks []string
	lags      int
}

func (e *reportEvents) Lag(time.Duration) { e.mu.Lock(); e.lags++; e.mu.Unlock() }
func (e *reportEvents) Serving(bool)      {}
func (e *reportEvents) Fallback(reason string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.fallbacks = append(e.fallbacks, reason)
}

func (e *reportEvents) saw(reason string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Contains(e.fallbacks, reason)
}

// A report pool queries the replica while it is fit, the primary while it lags beyond the bound, and
// the primary at once, with no failed query, when the replica stops between two checks.
func TestReportPoolFollowsTheReplica(t *testing.T) {
	primary := storestest.StartPostgresServer(t)
	dsn := primary.MigratedDSN()
	replica := primary.StartReplica()
	ctx := context.Background()
	pp := storestest.OpenPostgres(t, dsn)
	events := &reportEvents{}
	rp, err := stores.OpenReports(ctx, pp, replica.DatabaseDSN("ordercast"), stores.ReportOptions{
		MaxLag: 2 * time.Second, CheckEvery: 50 * time.Millisecond, Observer: events,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rp.Close)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { rp.Run(runCtx); close(done) }()
	stopMonitor := func() { stop(); <-done }
	t.Cleanup(stopMonitor)

	// onStandby runs a report query and says whether a standby answered it.
	onStandby := func() bool {
		t.Helper()
		var standby bool
		if err := rp.Pool().QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&standby); err != nil {
			t.Fatalf("report query: %v", err)
		}
		return standby
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 30s (fallbacks %v)", what, events.fallbacks)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	waitFor("reports on the replica", rp.OnReplica)
	if !onStandby() {
		t.Fatal("a report query ran on the primary while the replica was fit; want the replica")
	}

	// Replay paused and the primary moving on: the replica falls behind the bound.
	replica.PauseReplay()
	if _, err := pp.Exec(ctx, "CREATE TABLE lag_mark (x int); INSERT INTO lag_mark VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	waitFor("reports on the primary once the replica lags", func() bool { return !rp.OnReplica() })
	if onStandby() {
		t.Error("a report query ran on the lagging replica; want the primary")
	}
	if !events.saw(stores.FallbackLag) {
		t.Errorf("fallbacks %v; want %q", events.fallbacks, stores.FallbackLag)
	}
	var n int
	if err := rp.Pool().QueryRow(ctx, "SELECT count(*) FROM lag_mark").Scan(&n); err != nil || n != 1 {
		t.Errorf("count(lag_mark) through the reports = %d, %v; want 1 from the primary", n, err)
	}

	replica.ResumeReplay()
	waitFor("reports back on the replica once it caught up", rp.OnReplica)
	if !onStandby() {
		t.Error("a report query ran on the primary after the replica caught up; want the replica")
	}
	if err := rp.Pool().QueryRow(ctx, "SELECT count(*) FROM lag_mark").Scan(&n); err != nil || n != 1 {
		t.Errorf("count(lag_mark) on the caught-up replica = %d, %v; want 1", n, err)
	}

	// The replica stops between two checks (the monitor is stopped, so none will notice): the next
	// report query still succeeds, on the primary, and moves the reports there.
	stopMonitor()
	replica.Stop()
	if onStandby() {
		t.Error("a report query after the replica stopped answered as a standby")
	}
	if rp.OnReplica() || !events.saw(stores.FallbackConnect) {
		t.Errorf("after a connection fell back: on replica %v, fallbacks %v; want the primary, %q",
			rp.OnReplica(), events.fallbacks, stores.FallbackConnect)
	}
	rp.Check(ctx)
	if !events.saw(stores.FallbackUnreachable) && rp.OnReplica() {
		t.Errorf("a check of the stopped replica left the reports on it")
	}

	replica.Start()
	waitFor("the restarted replica in use again", func() bool { rp.Check(ctx); return rp.OnReplica() })
	if !onStandby() {
		t.Error("a report query after the replica came back ran on the primary")
	}
}

// A report DSN that names a primary is never used for reports.
func TestReportPoolRefusesAPrimary(t *testing.T) {
	dsn := storestest.MigratedPostgresDSN(t)
	pp := storestest.OpenPostgres(t, dsn)
	events := &reportEvents{}
	rp, err := stores.OpenReports(context.Background(), pp, dsn, stores.ReportOptions{MaxLag: time.Second, Observer: events})
	if err != nil {
		t.Fatal(err)
	}
	defer rp.Close()
	if rp.OnReplica() {
		t.Error("reports on a server that is no standby")
	}
	var standby bool
	if err := rp.Pool().QueryRow(context.Background(), "SELECT pg_is_in_recovery()").Scan(&standby); err != nil || standby {
		t.Errorf("report query: standby %v, %v; want the primary, no error", standby, err)
	}
}

// A report DSN naming another database than the primary's is refused.
func TestReportPoolRefusesAnotherDatabase(t *testing.T) {
	dsn := storestest.MigratedPostgresDSN(t)
	pp := storestest.OpenPostgres(t, dsn)
	other := strings.Replace(dsn, pp.Config().ConnConfig.Database, "postgres", 1)
	rp, err := stores.OpenReports(context.Background(), pp, other, stores.ReportOptions{MaxLag: time.Second})
	if !errors.Is(err, stores.ErrReportDatabase) {
		if rp != nil {
			rp.Close()
		}
		t.Fatalf("OpenReports(database postgres beside %s) error = %v; want ErrReportDatabase", pp.Config().ConnConfig.Database, err)
	}
}
