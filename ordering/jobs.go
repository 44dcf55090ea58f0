package ordering

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// The order cycle's scheduled jobs, run by `ordercast serve` through its scheduler
// (cmd/ordercast/schedule): each Pass does one round of the job's work and returns what failed, and
// the scheduler decides when, and on which instance, the next pass runs.

// CycleEnsurer creates cycles with their order windows (ordering/postgres.Store). EnsureCycle
// returns the existing cycle of the week unchanged when there is one; it is safe for concurrent use
// across processes.
type CycleEnsurer interface {
	EnsureCycle(ctx context.Context, weekStart time.Time, windows []Window) (Cycle, error)
}

// CycleKeeper makes sure the cycles of this week and the three after it exist with their order
// windows, so that every outlet always has a window open or a next one to show: a window closes the
// evening before the outlet's order day and the next week's opens at that moment. On a Sunday evening
// the Monday outlets already order for the week after next (WindowPolicy.LatestCycle), and when a
// planner closes that window early (cycle close -early), their next window is in the cycle after it:
// without that cycle their catalogue had no window to show, and the retailer's page failed. Hence
// four cycles.
type CycleKeeper struct {
	Store  CycleEnsurer
	Policy WindowPolicy
	Log    *slog.Logger
}

// Ensure creates the cycles that now needs.
func (k *CycleKeeper) Ensure(ctx context.Context, now time.Time) error {
	this := WeekStart(now)
	for i := range 4 {
		week := this.AddDate(0, 0, 7*i)
		if _, err := k.Store.EnsureCycle(ctx, week, k.Policy.Windows(week)); err != nil {
			return err
		}
	}
	return nil
}

// Pass ensures the cycles that now needs.
func (k *CycleKeeper) Pass(ctx context.Context, now time.Time) error {
	if err := k.Ensure(ctx, now); err != nil {
		return fmt.Errorf("ensure order cycles: %w", err)
	}
	return nil
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

// Pass cuts off the windows due at now and returns what failed: the windows it did not reach stay
// due for the next pass.
func (j *Cutoff) Pass(ctx context.Context, now time.Time) error {
	reports, err := j.Store.CloseDueWindows(ctx, now)
	for _, r := range reports {
		if j.Observer != nil {
			j.Observer.Settled(r)
		}
		j.Log.Info("order window cut off", "cycle", r.WeekStart.Format(time.DateOnly), "order_day", r.OrderDay.String(),
			"paid", r.Paid, "failed", r.Failed, "paid_cents", r.PaidCents)
	}
	if err != nil {
		return fmt.Errorf("cut-off: %w", err)
	}
	return nil
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

// Pass deletes what has expired at now, logging what it deleted, and returns what failed.
func (j *Cleanup) Pass(ctx context.Context, now time.Time) error {
	var errs []error
	if n, err := j.Store.DeleteExpiredIdempotencyKeys(ctx, now); err != nil {
		errs = append(errs, fmt.Errorf("delete expired idempotency keys: %w", err))
	} else if n > 0 {
		j.Log.Info("deleted expired idempotency keys", "keys", n)
	}
	if n, err := j.Store.DeleteRelayed(ctx, now.Add(-OutboxRetention)); err != nil {
		errs = append(errs, fmt.Errorf("delete relayed outbox rows: %w", err))
	} else if n > 0 {
		j.Log.Info("deleted relayed outbox rows", "rows", n)
	}
	return errors.Join(errs...)
}

// Every calls f with now() at every tick of interval until ctx is done, and returns then; a call in
// progress is waited for. For the work every instance does at once (sending notices), not for a
// scheduled job, which cmd/ordercast/schedule runs on one instance at a time.
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
