package clickhouse

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ordercast/ordercast/forecast"
)

// The keepers' waiting, on fake reads inside a synctest bubble: synctest.Wait returns once every
// reader is blocked (on a read's release or on another's read), so each case sees the readers wait.

var (
	octWeek1 = time.Date(2026, 9, 28, 0, 0, 0, 0, time.UTC)
	octWeeks = [2]time.Time{octWeek1, octWeek1.AddDate(0, 0, 7*5)} // forecast.MonthWeeks of October 2026
	errRead  = errors.New("read failed")
)

// fakeRead counts the reads made and holds each until release is closed (or its context ends);
// the first fails reads fail.
type fakeRead struct {
	release chan struct{}
	fails   int32
	calls   atomic.Int32
}

func newFakeRead(fails int32) *fakeRead { return &fakeRead{release: make(chan struct{}), fails: fails} }

// wait blocks until release or ctx ends and says how the read ends.
func (f *fakeRead) wait(ctx context.Context) error {
	n := f.calls.Add(1)
	select {
	case <-f.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	if n <= f.fails {
		return errRead
	}
	return nil
}

func (f *fakeRead) actuals(ctx context.Context, _ string, _ forecast.Against, from, to time.Time) (map[time.Time]map[string]brandActual, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	out := map[time.Time]map[string]brandActual{}
	for w := from; w.Before(to); w = w.AddDate(0, 0, 7) {
		out[w] = map[string]brandActual{"B1": {sum: 10, lines: 2}}
	}
	return out, nil
}

func keepingStore(f *fakeRead) *Store {
	s := &Store{}
	s.actuals = actualsKeeper{maxAge: 10 * time.Minute, now: time.Now, query: f.actuals}
	return s
}

type readResult struct {
	weeks map[time.Time]map[string]brandActual
	err   error
}

// readWeeks reads October's weeks from s in a goroutine of wg.
func readWeeks(ctx context.Context, wg *sync.WaitGroup, s *Store) *readResult {
	r := &readResult{}
	wg.Go(func() {
		r.weeks, r.err = s.weekActuals(ctx, forecast.LiveDataset, forecast.AgainstSales, octWeeks[0], octWeeks[1])
	})
	return r
}

func checkWeeks(t *testing.T, who string, r *readResult) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("%s: %v", who, r.err)
	}
	if len(r.weeks) != 5 || r.weeks[octWeek1]["B1"].sum != 10 {
		t.Errorf("%s read %v; want 5 weeks of B1 10", who, r.weeks)
	}
}

// The warmer's read of October's weeks and two readers who come while it runs: one query, and
// both readers get its weeks; then a reader who begins a read first and the warmer: the warmer
// leaves the weeks to the reader's read.
func TestActualsReadersWaitForOneRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		f := newFakeRead(0)
		s := keepingStore(f)
		var wg sync.WaitGroup
		var warmErr error
		wg.Go(func() {
			warmErr = s.WarmWeeks(ctx, forecast.LiveDataset, forecast.AgainstSales, octWeeks[0], octWeeks[1])
		})
		synctest.Wait()
		r1, r2 := readWeeks(ctx, &wg, s), readWeeks(ctx, &wg, s)
		synctest.Wait() // both wait for the warmer's read
		close(f.release)
		wg.Wait()
		if warmErr != nil {
			t.Fatal(warmErr)
		}
		checkWeeks(t, "reader 1", r1)
		checkWeeks(t, "reader 2", r2)
		if n := f.calls.Load(); n != 1 {
			t.Errorf("%d queries for the warmer and two readers; want 1", n)
		}
		if req, warm := s.WeekComputations(); req != 0 || warm != 1 {
			t.Errorf("WeekComputations() = %d, %d; want 0, 1", req, warm)
		}

		// Ten minutes on, the weeks are stale: a reader reads them; the warmer, coming meanwhile,
		// leaves them to it.
		time.Sleep(11 * time.Minute)
		f2 := newFakeRead(0)
		s.actuals.query = f2.actuals
		r3 := readWeeks(ctx, &wg, s)
		synctest.Wait()
		if err := s.WarmWeeks(ctx, forecast.LiveDataset, forecast.AgainstSales, octWeeks[0], octWeeks[1]); err != nil {
			t.Fatal(err)
		}
		close(f2.release)
		wg.Wait()
		checkWeeks(t, "reader 3", r3)
		if n := f2.calls.Load(); n != 1 {
			t.Errorf("%d queries for a reader and the warmer; want 1", n)
		}
		if req, warm := s.WeekComputations(); req != 1 || warm != 1 {
			t.Errorf("WeekComputations() = %d, %d; want 1, 1", req, warm)
		}
	})
}

// A read that fails gives its error to the reader who began it and to the one waiting for it,
// keeps nothing, and the next reader reads again (and keeps).
func TestActualsFailedReadNotKept(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		f := newFakeRead(1)
		s := keepingStore(f)
		var wg sync.WaitGroup
		r1 := readWeeks(ctx, &wg, s)
		synctest.Wait()
		r2 := readWeeks(ctx, &wg, s)
		synctest.Wait()
		close(f.release)
		wg.Wait()
		for _, r := range []*readResult{r1, r2} {
			if !errors.Is(r.err, errRead) {
				t.Errorf("a reader of the failed read got %v; want %v", r.err, errRead)
			}
		}
		for _, who := range []string{"the next reader", "a reader after it"} {
			r := readWeeks(ctx, &wg, s)
			wg.Wait()
			checkWeeks(t, who, r)
		}
		if n := f.calls.Load(); n != 2 {
			t.Errorf("%d queries; want 2 (the failed one, then one kept)", n)
		}
	})
}

// A reader who began a read and went away (its context cancelled) leaves the read to the reader
// waiting for it, who gets its weeks; a read of the warmer ended as the server stops makes its
// waiting reader read the weeks itself.
func TestActualsReadOutlivesItsReader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeRead(0)
		s := keepingStore(f)
		var wg sync.WaitGroup
		gone, leave := context.WithCancel(t.Context())
		readWeeks(gone, &wg, s)
		synctest.Wait()
		r2 := readWeeks(t.Context(), &wg, s)
		synctest.Wait()
		leave()
		synctest.Wait()
		close(f.release)
		wg.Wait()
		checkWeeks(t, "the reader who stayed", r2)
		if n := f.calls.Load(); n != 1 {
			t.Errorf("%d queries; want 1", n)
		}

		time.Sleep(11 * time.Minute)
		f2 := newFakeRead(0)
		s.actuals.query = f2.actuals
		stopping, stop := context.WithCancel(t.Context())
		var warmErr error
		wg.Go(func() {
			warmErr = s.WarmWeeks(stopping, forecast.LiveDataset, forecast.AgainstSales, octWeeks[0], octWeeks[1])
		})
		synctest.Wait()
		r3 := readWeeks(t.Context(), &wg, s)
		synctest.Wait()
		stop()
		synctest.Wait() // the reader's own read waits for release
		close(f2.release)
		wg.Wait()
		if !errors.Is(warmErr, context.Canceled) {
			t.Errorf("WarmWeeks stopped: %v; want %v", warmErr, context.Canceled)
		}
		checkWeeks(t, "the reader of the stopped warmer's weeks", r3)
		if n := f2.calls.Load(); n != 2 {
			t.Errorf("%d queries; want 2 (the warmer's, stopped, and the reader's)", n)
		}
	})
}

// fakeScores is a month's scorings: version is the latest scored_at, read answers one level.
type fakeScores struct {
	*fakeRead
	mu      sync.Mutex
	version time.Time
	checks  atomic.Int32
}

func (f *fakeScores) scoredAt(context.Context, time.Time, string, forecast.Against) (time.Time, bool, error) {
	f.checks.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.version, !f.version.IsZero(), nil
}

func (f *fakeScores) read(ctx context.Context, q forecast.ScoreQuery) (forecast.ScoreSet, error) {
	f.mu.Lock()
	v := f.version
	f.mu.Unlock()
	if err := f.wait(ctx); err != nil {
		return forecast.ScoreSet{}, err
	}
	return forecast.ScoreSet{Month: q.Month, RunID: "run-" + v.Format(time.TimeOnly), ScoredAt: v,
		Scores: []forecast.Score{{Level: q.Level, Key: "k", Actual: 1}}}, nil
}

func (f *fakeScores) scoreAgain(at time.Time) {
	f.mu.Lock()
	f.version = at
	f.mu.Unlock()
}

var scored1 = time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC)

func scoresStore(f *fakeScores) *Store {
	s := &Store{}
	s.scores = scoresKeeper{on: true, version: f.scoredAt, read: f.read}
	return s
}

type scoresResult struct {
	set forecast.ScoreSet
	err error
}

func readScores(ctx context.Context, wg *sync.WaitGroup, s *Store) *scoresResult {
	r := &scoresResult{}
	wg.Go(func() {
		r.set, r.err = s.Scores(ctx, forecast.ScoreQuery{Month: octWeek1.AddDate(0, 0, 3), Level: forecast.ScoreBrand})
	})
	return r
}

func checkScored(t *testing.T, who string, r *scoresResult, at time.Time) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("%s: %v", who, r.err)
	}
	if !r.set.ScoredAt.Equal(at) || len(r.set.Scores) != 1 {
		t.Errorf("%s read the scoring of %s (%d scores); want that of %s", who, r.set.ScoredAt, len(r.set.Scores), at)
	}
}

// The warmer's read of a level and two readers who come meanwhile: one read. The level is then
// served kept, each reader checking the latest scoring; a new scoring is read once, by the first
// reader after it.
func TestScoresReadersWaitForOneRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		f := &fakeScores{fakeRead: newFakeRead(0), version: scored1}
		s := scoresStore(f)
		var wg sync.WaitGroup
		var warmErr error
		wg.Go(func() {
			warmErr = s.WarmScores(ctx, octWeek1.AddDate(0, 0, 3), forecast.LiveDataset, forecast.AgainstSales, []forecast.ScoreLevel{forecast.ScoreBrand})
		})
		synctest.Wait()
		r1, r2 := readScores(ctx, &wg, s), readScores(ctx, &wg, s)
		synctest.Wait()
		close(f.release)
		wg.Wait()
		if warmErr != nil {
			t.Fatal(warmErr)
		}
		checkScored(t, "reader 1", r1, scored1)
		checkScored(t, "reader 2", r2, scored1)
		r3 := readScores(ctx, &wg, s)
		wg.Wait()
		checkScored(t, "a later reader", r3, scored1)
		if n := f.calls.Load(); n != 1 {
			t.Errorf("%d reads of the level; want 1", n)
		}
		if n := f.checks.Load(); n != 4 {
			t.Errorf("%d checks of the latest scoring; want 4 (the warmer's and each reader's)", n)
		}

		scored2 := scored1.Add(time.Hour)
		f.scoreAgain(scored2) // by another instance, say
		r4, r5 := readScores(ctx, &wg, s), readScores(ctx, &wg, s)
		wg.Wait()
		checkScored(t, "reader 4", r4, scored2)
		checkScored(t, "reader 5", r5, scored2)
		if n := f.calls.Load(); n != 2 {
			t.Errorf("%d reads of the level after a new scoring; want 2", n)
		}
		if req, warm := s.ScoreComputations(); req != 1 || warm != 1 {
			t.Errorf("ScoreComputations() = %d, %d; want 1, 1", req, warm)
		}
	})
}

// A failed read of a level is not kept: the next reader reads it again. A reader who began a read
// and went away leaves it to the one waiting.
func TestScoresFailedOrAbandonedRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeScores{fakeRead: newFakeRead(1), version: scored1}
		s := scoresStore(f)
		var wg sync.WaitGroup
		r1 := readScores(t.Context(), &wg, s)
		synctest.Wait()
		close(f.release)
		wg.Wait()
		if !errors.Is(r1.err, errRead) {
			t.Fatalf("the failed read's reader got %v; want %v", r1.err, errRead)
		}
		gone, leave := context.WithCancel(t.Context())
		readScores(gone, &wg, s)
		wg.Wait()
		if n := f.calls.Load(); n != 2 {
			t.Errorf("%d reads after a failed one; want 2", n)
		}

		f2 := &fakeScores{fakeRead: newFakeRead(0), version: scored1}
		s = scoresStore(f2)
		readScores(gone, &wg, s)
		synctest.Wait()
		r3 := readScores(t.Context(), &wg, s)
		synctest.Wait()
		leave()
		synctest.Wait()
		close(f2.release)
		wg.Wait()
		checkScored(t, "the reader who stayed", r3, scored1)
		if n := f2.calls.Load(); n != 1 {
			t.Errorf("%d reads; want 1", n)
		}
	})
}

// A warmer stopped in the middle of its read of a level (the server stopping): a reader who was
// waiting for it reads the level itself instead of taking the warmer's end for its own.
func TestScoresReaderOfAStoppedWarmer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeScores{fakeRead: newFakeRead(0), version: scored1}
		s := scoresStore(f)
		var wg sync.WaitGroup
		stopping, stop := context.WithCancel(t.Context())
		var warmErr error
		wg.Go(func() {
			warmErr = s.WarmScores(stopping, octWeek1.AddDate(0, 0, 3), forecast.LiveDataset, forecast.AgainstSales, []forecast.ScoreLevel{forecast.ScoreBrand})
		})
		synctest.Wait()
		r := readScores(t.Context(), &wg, s)
		synctest.Wait()
		stop()
		synctest.Wait() // the reader's own read waits for release
		close(f.release)
		wg.Wait()
		if !errors.Is(warmErr, context.Canceled) {
			t.Errorf("WarmScores stopped: %v; want %v", warmErr, context.Canceled)
		}
		checkScored(t, "the reader of the stopped warmer's level", r, scored1)
		if n := f.calls.Load(); n != 2 {
			t.Errorf("%d reads; want 2 (the warmer's, stopped, and the reader's)", n)
		}
	})
}

// The warmer leaves a month never scored alone; a reader of it gets forecast.ErrNoScores from the
// table, and nothing is kept.
func TestScoresNeverScored(t *testing.T) {
	f := &fakeScores{fakeRead: newFakeRead(0)}
	close(f.release)
	s := scoresStore(f)
	s.scores.read = func(context.Context, forecast.ScoreQuery) (forecast.ScoreSet, error) {
		f.calls.Add(1)
		return forecast.ScoreSet{}, forecast.ErrNoScores
	}
	if err := s.WarmScores(t.Context(), octWeek1, forecast.LiveDataset, forecast.AgainstSales, []forecast.ScoreLevel{forecast.ScoreBrand}); err != nil {
		t.Fatal(err)
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("WarmScores of a month never scored read %d levels; want none", n)
	}
	for range 2 {
		var wg sync.WaitGroup
		r := readScores(t.Context(), &wg, s)
		wg.Wait()
		if !errors.Is(r.err, forecast.ErrNoScores) {
			t.Errorf("Scores of a month never scored: %v; want %v", r.err, forecast.ErrNoScores)
		}
	}
	if n := f.calls.Load(); n != 2 {
		t.Errorf("%d reads of a month never scored by two readers; want 2 (nothing kept)", n)
	}
}
