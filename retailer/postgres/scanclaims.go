package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordercast/ordercast/retailer"
)

// Scan upload batches are claimed in scan_batch_claims before they are written to ClickHouse, so
// that one batch is written by one attempt at a time across every serve instance: the claim is one
// INSERT … ON CONFLICT, decided by PostgreSQL (its clock too, so instances' clocks do not matter).

// storedOutcome is a batch's outcome as scan_batch_claims.outcome keeps it.
type storedOutcome struct {
	Accepted int            `json:"accepted"`
	Rejects  []storedReject `json:"rejects"`
}

type storedReject struct {
	Row    int    `json:"row"` // 1-based
	Reason string `json:"reason"`
	Detail string `json:"detail"`
}

// ClaimScanBatch claims upload batchID of outlet (a licence number) for the attempt token until
// lease from now, or renews the claim if token holds it. It returns claimed true when token holds
// the claim, and first true as well when this call made the batch's first claim ever: no attempt
// before it claimed the batch, so none wrote any of it (claims are made before anything is written,
// and never deleted: a release only ends the lease). Otherwise, stored is the batch's outcome (Replay
// set) when one is recorded, and nil while another attempt holds an unexpired claim. A claim whose
// lease passed without an outcome is taken over.
func (s *Store) ClaimScanBatch(ctx context.Context, outlet, batchID, token string, lease time.Duration) (claimed, first bool, stored *retailer.ScanOutcome, err error) {
	// The first claim, the common case, is one statement; a batch claimed before takes a second.
	err = s.pool.QueryRow(ctx, `INSERT INTO scan_batch_claims (outlet, batch_id, token, lease_until)
		VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond')
		ON CONFLICT (outlet, batch_id) DO NOTHING
		RETURNING true`, outlet, batchID, token, lease.Milliseconds()).Scan(&claimed)
	switch {
	case err == nil:
		return true, true, nil, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return false, false, nil, unavailable(fmt.Errorf("postgresql: claim scan batch: %w", err))
	}
	err = s.pool.QueryRow(ctx, `UPDATE scan_batch_claims SET token = $3, lease_until = now() + $4 * interval '1 millisecond'
		WHERE outlet = $1 AND batch_id = $2 AND outcome IS NULL AND (lease_until < now() OR token = $3)
		RETURNING true`, outlet, batchID, token, lease.Milliseconds()).Scan(&claimed)
	switch {
	case err == nil:
		return true, false, nil, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return false, false, nil, unavailable(fmt.Errorf("postgresql: claim scan batch: %w", err))
	}
	var raw []byte
	err = s.pool.QueryRow(ctx, "SELECT outcome FROM scan_batch_claims WHERE outlet = $1 AND batch_id = $2",
		outlet, batchID).Scan(&raw)
	switch {
	case errors.Is(err, pgx.ErrNoRows) || err == nil && raw == nil: // being written
		return false, false, nil, nil
	case err != nil:
		return false, false, nil, unavailable(fmt.Errorf("postgresql: read scan batch claim: %w", err))
	}
	var o storedOutcome
	if err := json.Unmarshal(raw, &o); err != nil {
		return false, false, nil, fmt.Errorf("postgresql: scan batch %s outcome: %w", batchID, err)
	}
	out := &retailer.ScanOutcome{BatchID: batchID, Accepted: o.Accepted, Replay: true}
	for _, r := range o.Rejects {
		out.Rejects = append(out.Rejects, retailer.ScanReject{Row: r.Row, Reason: retailer.RejectReason(r.Reason), Detail: r.Detail})
	}
	return false, false, out, nil
}

// FinishScanBatch records the outcome of a batch that ClickHouse holds complete, unless one is
// recorded already; replays then answer with it.
func (s *Store) FinishScanBatch(ctx context.Context, outlet string, out retailer.ScanOutcome) error {
	o := storedOutcome{Accepted: out.Accepted, Rejects: make([]storedReject, len(out.Rejects))}
	for i, r := range out.Rejects {
		o.Rejects[i] = storedReject{Row: r.Row, Reason: string(r.Reason), Detail: r.Detail}
	}
	raw, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("postgresql: scan batch %s outcome: %w", out.BatchID, err)
	}
	if _, err := s.pool.Exec(ctx, `UPDATE scan_batch_claims SET outcome = $3
		WHERE outlet = $1 AND batch_id = $2 AND outcome IS NULL`, outlet, out.BatchID, raw); err != nil {
		return unavailable(fmt.Errorf("postgresql: finish scan batch: %w", err))
	}
	return nil
}

// ReleaseScanBatch gives up token's claim on a batch that has no outcome (its write failed), so that
// the next attempt need not wait for the lease to pass. The claim is kept, its lease ended: it is the
// record that an attempt may have written part of the batch.
func (s *Store) ReleaseScanBatch(ctx context.Context, outlet, batchID, token string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE scan_batch_claims SET lease_until = '-infinity'
		WHERE outlet = $1 AND batch_id = $2 AND token = $3 AND outcome IS NULL`, outlet, batchID, token); err != nil {
		return unavailable(fmt.Errorf("postgresql: release scan batch: %w", err))
	}
	return nil
}
