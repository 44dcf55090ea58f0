package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordercast/ordercast/ordering"
)

// ErrSupplyRaced is errSupplyRaced, for the tests of package postgres_test.
var ErrSupplyRaced = errSupplyRaced

// LockBrandsSupply is lockBrandsSupply, the locks a publication takes first, for the tests of package
// postgres_test.
func LockBrandsSupply(ctx context.Context, tx pgx.Tx, cycleID int64, codes []string) error {
	return lockBrandsSupply(ctx, tx, cycleID, codes)
}

// PlaceOrderPausing places an order of the outlet on credit, with no user, as one attempt of
// PlaceOrder does (the rationed brands' rows locked first or not), calling meanwhile after its reads
// and before its write, with its transaction open. It returns what the attempt returned, having rolled
// back on an error.
func (s *Store) PlaceOrderPausing(ctx context.Context, outletID int64, reqs []ordering.LineRequest, now time.Time,
	lockRationed bool, meanwhile func()) (ordering.Order, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return ordering.Order{}, err
	}
	defer conn.Release()
	now = now.Truncate(time.Microsecond).Local()
	codes := make([]string, len(reqs))
	for i, r := range reqs {
		codes[i] = r.Brand
	}
	st, err := readForOrdering(ctx, conn.Conn(), outletID, 0, nil, now, codes, lockRationed)
	if err == nil {
		meanwhile()
		var o ordering.Order
		if o, _, err = grantAndWrite(ctx, conn.Conn(), st, 0, reqs, ordering.PlaceOptions{AllowCredit: true}, now, lockRationed); err == nil {
			return o, nil
		}
	}
	conn.Exec(ctx, "ROLLBACK") //nolint:errcheck // the attempt's error is the one to report
	return ordering.Order{}, err
}
