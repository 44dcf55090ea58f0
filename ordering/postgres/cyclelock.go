package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordercast/ordercast/ordering"
)

// lockOpenCycle locks the cycle's row for the rest of tx and checks that the planner may still change
// its supply: the cycle is not closed and one of its order windows is still open to orders at now (not
// cut off, and not past its closing time while the cut-off job has yet to run). Otherwise it returns
// ordering.ErrConflict explained; a cycle that does not exist is ordering.ErrNotFound.
//
// The lock is FOR NO KEY UPDATE: it serialises the publications of the cycle and its cut-off (which
// updates the row), and lets through the foreign-key checks of the orders written meanwhile (FOR KEY
// SHARE), which FOR UPDATE would hold up, orders of brands the publication does not touch included.
func lockOpenCycle(ctx context.Context, tx pgx.Tx, cycleID int64, now time.Time) error {
	var week time.Time
	var status string
	err := tx.QueryRow(ctx, `SELECT week_start, status FROM cycles WHERE id = $1 FOR NO KEY UPDATE`, cycleID).Scan(&week, &status)
	if errors.Is(err, pgx.ErrNoRows) {
		return ordering.Explain(ordering.ErrNotFound, "no such cycle")
	}
	if err != nil {
		return err
	}
	var open bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM order_windows WHERE cycle_id = $1 AND NOT closed AND closes_at > $2)`,
		cycleID, now).Scan(&open); err != nil {
		return err
	}
	if ordering.CycleStatus(status) == ordering.Closed || !open {
		return ordering.Explain(ordering.ErrConflict, "every order window of the cycle of %s is cut off: its supply can no longer change",
			week.Format(time.DateOnly))
	}
	return nil
}
