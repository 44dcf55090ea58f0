package ordering

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type fakeCycles struct{ weeks []time.Time }

func (f *fakeCycles) EnsureCycle(_ context.Context, week time.Time, windows []Window) (Cycle, error) {
	if len(windows) != 7 {
		return Cycle{}, errors.New("want seven windows")
	}
	f.weeks = append(f.weeks, week)
	return Cycle{}, nil
}

func TestCycleKeeperEnsuresFourWeeks(t *testing.T) {
	f := &fakeCycles{}
	k := &CycleKeeper{Store: f, Policy: DefaultWindowPolicy, Log: quiet}
	sunday := time.Date(2026, 11, 29, 20, 0, 0, 0, time.UTC)
	if err := k.Ensure(context.Background(), sunday); err != nil {
		t.Fatal(err)
	}
	want := []string{"2026-11-23", "2026-11-30", "2026-12-07", "2026-12-14"}
	if len(f.weeks) != len(want) {
		t.Fatalf("Ensure(%v) made cycles %v; want %v", sunday, f.weeks, want)
	}
	for i, w := range f.weeks {
		if w.Format(time.DateOnly) != want[i] {
			t.Errorf("Ensure(%v) cycle %d = %s; want %s", sunday, i, w.Format(time.DateOnly), want[i])
		}
	}
}

type fakeCloser struct {
	reports []CutoffReport
	err     error
}

func (f fakeCloser) CloseDueWindows(context.Context, time.Time) ([]CutoffReport, error) {
	return f.reports, f.err
}

type settledCount struct{ paid, failed int }

func (s *settledCount) Settled(r CutoffReport) { s.paid += r.Paid; s.failed += r.Failed }

// What a pass cut off is observed even when the pass stopped on an error after it.
func TestCutoffObservesEveryReport(t *testing.T) {
	obs := &settledCount{}
	j := &Cutoff{Store: fakeCloser{reports: []CutoffReport{{Paid: 3, Failed: 1}, {Paid: 2}}, err: errors.New("connection lost")},
		Observer: obs, Log: quiet}
	if err := j.Pass(context.Background(), time.Now()); err == nil {
		t.Error("a pass that stopped on an error returned nil")
	}
	if obs.paid != 5 || obs.failed != 1 {
		t.Errorf("observed paid %d, failed %d; want 5 and 1", obs.paid, obs.failed)
	}
}

type fakeExpirer struct{ keysAt, relayedBefore time.Time }

func (f *fakeExpirer) DeleteExpiredIdempotencyKeys(_ context.Context, now time.Time) (int64, error) {
	f.keysAt = now
	return 1, nil
}

func (f *fakeExpirer) DeleteRelayed(_ context.Context, before time.Time) (int64, error) {
	f.relayedBefore = before
	return 0, nil
}

func TestCleanupKeepsRelayedRowsForTheRetention(t *testing.T) {
	f := &fakeExpirer{}
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	if err := (&Cleanup{Store: f, Log: quiet}).Pass(context.Background(), now); err != nil {
		t.Fatal(err)
	}
	if !f.keysAt.Equal(now) || !f.relayedBefore.Equal(now.Add(-OutboxRetention)) {
		t.Errorf("cleanup at %v deleted keys at %v and relayed rows before %v; want %v and %v",
			now, f.keysAt, f.relayedBefore, now, now.Add(-OutboxRetention))
	}
}
