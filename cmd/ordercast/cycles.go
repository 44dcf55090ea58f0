package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/ordercast/ordercast/ordering"
	orderingpg "github.com/ordercast/ordercast/ordering/postgres"
)

// cycleKeeper makes sure the cycles of this week and the two after it exist with their order windows,
// so that every outlet always has a window open: a window closes the evening before the outlet's order
// day and the next week's opens at that moment. (On a Sunday evening the Monday outlets already order
// for the week after next, hence three cycles.)
type cycleKeeper struct {
	store  *orderingpg.Store
	policy ordering.WindowPolicy
	log    *slog.Logger
}

func (k cycleKeeper) ensure(ctx context.Context, now time.Time) error {
	this := ordering.WeekStart(now)
	for _, week := range []time.Time{this, this.AddDate(0, 0, 7), this.AddDate(0, 0, 14)} {
		if _, err := k.store.EnsureCycle(ctx, week, k.policy.Windows(week)); err != nil {
			return err
		}
	}
	return nil
}

// outboxRetention is how long relayed outbox rows are kept, for inspection, before they are deleted.
const outboxRetention = 7 * 24 * time.Hour

// run ensures the cycles, deletes expired idempotency keys and old relayed outbox rows every interval until ctx is done,
// logging failures (the next tick retries).
func (k cycleKeeper) run(ctx context.Context, every time.Duration, now func() time.Time) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := k.ensure(ctx, now()); err != nil {
				k.log.Warn("ensure order cycles", "err", err)
			}
			if n, err := k.store.DeleteExpiredIdempotencyKeys(ctx, now()); err != nil {
				k.log.Warn("delete expired idempotency keys", "err", err)
			} else if n > 0 {
				k.log.Info("deleted expired idempotency keys", "keys", n)
			}
			if n, err := k.store.DeleteRelayed(ctx, now().Add(-outboxRetention)); err != nil {
				k.log.Warn("delete relayed outbox rows", "err", err)
			} else if n > 0 {
				k.log.Info("deleted relayed outbox rows", "rows", n)
			}
		}
	}
}
