package schedule

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// tally is an Observer that counts outcomes and keeps the last success it was told.
type tally struct {
	mu       sync.Mutex
	outcomes map[Outcome]int
	last     time.Time
}

func (t *tally) Tried(_ string, o Outcome) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.outcomes == nil {
		t.outcomes = map[Outcome]int{}
	}
	t.outcomes[o]++
}
func (t *tally) Running(string, bool) {}
func (t *tally) LastSuccess(_ string, end time.Time, _ time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.last = end
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// instance is one `ordercast serve` as the scheduler sees it: a pool of its own and a runner.
func instance(t *testing.T, dsn, owner string) (*Runner, *tally) {
	obs := &tally{}
	store := NewPostgres(storestest.OpenPostgres(t, dsn), owner)
	store.heartbeat = 50 * time.Millisecond
	return &Runner{Store: store, Observer: obs, Log: quiet()}, obs
}

func TestSlotSucceedsOnceAcrossInstances(t *testing.T) {
	storestest.SkipShort(t)
	dsn := storestest.MigratedPostgresDSN(t)
	a, obsA := instance(t, dsn, "a")
	b, obsB := instance(t, dsn, "b")
	var slot atomic.Value
	passes := map[string]*atomic.Int32{}
	for _, s := range []string{"2026-10", "2026-11", "2026-12"} {
		passes[s] = &atomic.Int32{}
	}
	job := Job{Name: "score", Every: time.Hour,
		Slot: func(time.Time) string { return slot.Load().(string) },
		Pass: func(ctx context.Context, _ time.Time) error {
			passes[slot.Load().(string)].Add(1)
			time.Sleep(20 * time.Millisecond) // long enough for the others to find the lock taken
			return nil
		}}
	for _, s := range []string{"2026-10", "2026-11", "2026-12"} {
		slot.Store(s)
		var wg sync.WaitGroup
		for i := range 8 { // four tries at once on each instance
			r := a
			if i%2 == 1 {
				r = b
			}
			wg.Add(1)
			go func() { defer wg.Done(); r.Try(context.Background(), job) }()
		}
		wg.Wait()
		// Later tries of the same slot find it done.
		if o := a.Try(context.Background(), job); o != NotDue {
			t.Errorf("slot %s: a try after it succeeded = %s; want %s", s, o, NotDue)
		}
	}
	for s, n := range passes {
		if n.Load() != 1 {
			t.Errorf("slot %s ran %d times across two instances; want once", s, n.Load())
		}
	}
	succeeded := obsA.outcomes[Succeeded] + obsB.outcomes[Succeeded]
	if succeeded != 3 {
		t.Errorf("successes %d (a %v, b %v); want 3", succeeded, obsA.outcomes, obsB.outcomes)
	}
	pool := storestest.OpenPostgres(t, dsn)
	var runs int
	var lastSlot string
	if err := pool.QueryRow(context.Background(),
		`SELECT (SELECT count(*) FROM job_runs WHERE job = 'score'), last_slot FROM job_state WHERE job = 'score'`).
		Scan(&runs, &lastSlot); err != nil {
		t.Fatal(err)
	}
	if runs != 3 || lastSlot != "2026-12" {
		t.Errorf("job_runs %d, last slot %q; want 3 and 2026-12", runs, lastSlot)
	}
	if obsA.last.IsZero() || obsB.last.IsZero() {
		t.Errorf("last success not exported by both instances: a %v, b %v", obsA.last, obsB.last)
	}
}

func TestFailedPassLeavesItsSlotDue(t *testing.T) {
	storestest.SkipShort(t)
	dsn := storestest.MigratedPostgresDSN(t)
	a, _ := instance(t, dsn, "a")
	fail := true
	job := Job{Name: "forecast", Every: time.Hour, Slot: func(time.Time) string { return "2026-11-30" },
		Pass: func(context.Context, time.Time) error {
			if fail {
				return errors.New("clickhouse down")
			}
			return nil
		}}
	if o := a.Try(context.Background(), job); o != Failed {
		t.Fatalf("failing pass = %s; want %s", o, Failed)
	}
	fail = false
	if o := a.Try(context.Background(), job); o != Succeeded {
		t.Fatalf("pass after the failure = %s; want %s (the slot stays due)", o, Succeeded)
	}
	if o := a.Try(context.Background(), job); o != NotDue {
		t.Fatalf("third pass = %s; want %s", o, NotDue)
	}
}

// A crashed instance's lock goes with its session; another instance takes the job over and the slot
// still succeeds once.
func TestCrashedHolderIsTakenOver(t *testing.T) {
	storestest.SkipShort(t)
	dsn := storestest.MigratedPostgresDSN(t)
	a, _ := instance(t, dsn, "a")
	b, _ := instance(t, dsn, "b")
	admin := storestest.OpenPostgres(t, dsn)
	started := make(chan struct{})
	var passes atomic.Int32
	job := func(block bool) Job {
		return Job{Name: "forecast", Every: time.Hour, Slot: func(time.Time) string { return "2026-11-30" },
			Pass: func(ctx context.Context, _ time.Time) error {
				passes.Add(1)
				if block {
					close(started)
					<-ctx.Done() // a long forecast run, stopped only by the lost lock
					return ctx.Err()
				}
				return nil
			}}
	}
	outcome := make(chan Outcome, 1)
	go func() { outcome <- a.Try(context.Background(), job(true)) }()
	<-started
	if o := b.Try(context.Background(), job(false)); o != Busy {
		t.Fatalf("b's try while a runs = %s; want %s", o, Busy)
	}
	// a's session dies, as with a kill -9 of its process or a lost network.
	var killed bool
	if err := admin.QueryRow(context.Background(), `SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND classid = $1 AND granted`, lockClass).Scan(&killed); err != nil || !killed {
		t.Fatalf("terminate a's session: %v, %v", killed, err)
	}
	select {
	case o := <-outcome:
		if o != Abandoned {
			t.Errorf("a's pass after its session died = %s; want %s", o, Abandoned)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a's pass did not stop within 10s of losing its lock")
	}
	if o := b.Try(context.Background(), job(false)); o != Succeeded {
		t.Fatalf("b's try after a died = %s; want %s", o, Succeeded)
	}
	var owner string
	var runs int
	if err := admin.QueryRow(context.Background(),
		`SELECT min(owner), count(*) FROM job_runs WHERE job = 'forecast'`).Scan(&owner, &runs); err != nil {
		t.Fatal(err)
	}
	if runs != 1 || owner != "b" || passes.Load() != 2 {
		t.Errorf("job_runs %d by %q after %d passes; want one run by b after two passes", runs, owner, passes.Load())
	}
}

func TestRunStopsWithItsContext(t *testing.T) {
	storestest.SkipShort(t)
	a, obs := instance(t, storestest.MigratedPostgresDSN(t), "a")
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int32
	done := make(chan struct{})
	go func() {
		a.Run(ctx, []Job{{Name: "relay", Every: 10 * time.Millisecond,
			Pass: func(context.Context, time.Time) error { n.Add(1); return nil }}})
		close(done)
	}()
	succeeded := func() int {
		obs.mu.Lock()
		defer obs.mu.Unlock()
		return obs.outcomes[Succeeded]
	}
	deadline := time.Now().Add(10 * time.Second)
	for succeeded() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10s of its context's end")
	}
	if n.Load() < 3 {
		t.Errorf("a job without a slot ran %d times; want a pass at every try", n.Load())
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.outcomes[Succeeded] < 3 || obs.outcomes[Failed] != 0 {
		t.Errorf("outcomes %v; want successes counted, and no failure: a pass cut short by the stop is abandoned", obs.outcomes)
	}
}
