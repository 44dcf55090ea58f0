package ordering

import (
	"context"
	"log/slog"
	"time"
)

// The order cycle's scheduled jobs, run by `ordercast serve`: each Run returns when its context is
// done, so that the server can join it before it closes the stores.

// CycleEnsurer creates cycles with their order windows (ordering/postgres.Store). EnsureCycle
// returns the existing cycle of the week unchanged when there is one; it is safe for concurrent use
// across processes.
type CycleEnsurer interface {
	EnsureCycle(ctx context.Context, weekStart time.Time, windows []Window) (Cycle, error)
}

// CycleKeeper makes sure the cycles of this week and the two after it exist with their order
// windows, so that every outlet always has a window open: a window closes the evening before the
// outlet's order day and the next week's opens at that moment. (On a Sunday evening the Monday
// outlets already order for the week after next, hence three cycles.)
type CycleKeeper struct {
	Store  CycleEnsurer
	Policy WindowPolicy
	Log    *slog.Logger
}

// Ensure creates the cycles that now needs.
func (k *CycleKeeper) Ensure(ctx context.Context, now time.Time) error {
	this := WeekStart(now)
	for _, week := range []time.Time{this, this.AddDate(0, 0, 7), this.AddDate(0, 0, 14)} {
		if _, err := k.Store.EnsureCycle(ctx, week, k.Policy.Windows(week)); err != nil {
			return err
		}
	}
	return nil
}

// Run ensures the cycles every interval until ctx is done, logging failures (the next tick retries).
func (k *CycleKeeper) Run(ctx context.Context, every time.Duration, now func() time.Time) {
	Every(ctx, every, now, func(t time.Time) {
		if err := k.Ensure(ctx, t); err != nil && ctx.Err() == nil {
			k.Log.Warn("ensure order cycles; the next pass retries", "err", err)
		}
	})
}

// WindowCloser cuts off the order windows whose closing time has passed (ordering/postgres.Store).
// Several processes may call it at once: each window is cut off in a transaction that claims it
// first, so only once; it returns what it cut off even when it stops on an error.
type WindowCloser interface {
	CloseDueWindows(ctx context.Context, now time.Time) ([]CutoffReport, error)
}

// CutoffObserver is told what each cut-off settled, for metrics. It must be fast.
type CutoffObserver interface {
	Settled(r CutoffReport)
}

// Cutoff cuts off every order window whose closing time has passed.
type Cutoff struct {
	Store    WindowCloser
	Observer CutoffObserver // may be nil
	Log      *slog.Logger
}

// RunOnce cuts off the windows due at now.
func (j *Cutoff) RunOnce(ctx context.Context, now time.Time) {
	reports, err := j.Store.CloseDueWindows(ctx, now)
	for _, r := range reports {
		if j.Observer != nil {
			j.Observer.Settled(r)
		}
		j.Log.Info("order window cut off", "cycle", r.WeekStart.Format(time.DateOnly), "order_day", r.OrderDay.String(),
			"paid", r.Paid, "failed", r.Failed, "paid_cents", r.PaidCents)
	}
	if err != nil && ctx.Err() == nil {
		j.Log.Warn("cut-off failed; the next pass retries", "err", err)
	}
}

// Run cuts off due windows at once and then every interval until ctx is done.
func (j *Cutoff) Run(ctx context.Context, every time.Duration, now func() time.Time) {
	j.RunOnce(ctx, now())
	Every(ctx, every, now, func(t time.Time) { j.RunOnce(ctx, t) })
}

// Expirer deletes what is kept only for a while (ordering/postgres.Store): idempotency keys past
// their expiry, and outbox rows relayed before a time. Each returns how many rows it deleted.
type Expirer interface {
	DeleteExpiredIdempotencyKeys(ctx context.Context, now time.Time) (int64, error)
	DeleteRelayed(ctx context.Context, before time.Time) (int64, error)
}

// OutboxRetention is how long relayed outbox rows are kept, for inspection, before they are deleted.
const OutboxRetention = 7 * 24 * time.Hour

// Cleanup deletes expired idempotency keys and relayed outbox rows older than OutboxRetention.
type Cleanup struct {
	Store Expirer
	Log   *slog.Logger
}

// RunOnce deletes what has expired at now, logging what it deleted and what failed.
func (j *Cleanup) RunOnce(ctx context.Context, now time.Time) {
	if n, err := j.Store.DeleteExpiredIdempotencyKeys(ctx, now); err != nil {
		j.Log.Warn("delete expired idempotency keys", "err", err)
	} else if n > 0 {
		j.Log.Info("deleted expired idempotency keys", "keys", n)
	}
	if n, err := j.Store.DeleteRelayed(ctx, now.Add(-OutboxRetention)); err != nil {
		j.Log.Warn("delete relayed outbox rows", "err", err)
	} else if n > 0 {
		j.Log.Info("deleted relayed outbox rows", "rows", n)
	}
}

// Run cleans up every interval until ctx is done.
func (j *Cleanup) Run(ctx context.Context, every time.Duration, now func() time.Time) {
	Every(ctx, every, now, func(t time.Time) { j.RunOnce(ctx, t) })
}

// Every calls f with now() at every tick of interval until ctx is done, and returns then; a call in
// progress is waited for.
func Every(ctx context.Context, interval time.Duration, now func() time.Time, f func(now time.Time)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if ctx.Err() != nil { // both were ready: a cancelled job starts no new pass
				return
			}
			f(now())
		}
	}
}
