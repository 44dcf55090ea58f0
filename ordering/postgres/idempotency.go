package postgres

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ordercast/ordercast/ordering"
)

// BeginIdempotent claims key for the user's request with the given body hash at now. See
// ordering.Begun for what it returns. It returns an error wrapping ordering.ErrIdempotencyKeyReused
// for another body, or an *ordering.InFlightError while an attempt holds the key within its lease
// (ordering.IdempotencyLease) and has committed nothing. An expired key counts as new; a running key
// whose lease passed with nothing committed is taken over.
//
// A first request costs one statement, committed on its own: the claim is atomic (INSERT … ON CONFLICT,
// which sees the latest version of a held row), so it needs no transaction around it. Only a key
// already held is read back, by a second statement that sees the holder's committed row.
func (s *Store) BeginIdempotent(ctx context.Context, userID int64, key string, hash []byte, now time.Time) (ordering.Begun, error) {
	// The key may go between the claim and the read-back (an attempt that failed lets it go): then
	// the claim is tried again, at most a few times, since every round means another attempt ended.
	for range 3 {
		begun, err := s.beginIdempotent(ctx, userID, key, hash, now)
		if !errors.Is(err, pgx.ErrNoRows) {
			return begun, err
		}
	}
	return ordering.Begun{}, &ordering.InFlightError{Wait: time.Second}
}

func (s *Store) beginIdempotent(ctx context.Context, userID int64, key string, hash []byte, now time.Time) (ordering.Begun, error) {
	claim := ordering.IdempotencyClaim{UserID: userID, Key: key, Token: newToken()}
	tag, err := s.pool.Exec(ctx, `INSERT INTO idempotency_keys AS k (user_id, key, request_hash, state, token, lease_until,
			created_at, expires_at)
		VALUES ($1, $2, $3, 'running', $4, $5, $6, $7)
		ON CONFLICT (user_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, state = 'running',
			token = EXCLUDED.token, lease_until = EXCLUDED.lease_until, order_id = NULL, order_status = NULL,
			response_status = NULL, response_body = NULL, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
		WHERE `+claimable("$6", "$3"),
		userID, key, hash, claim.Token, now.Add(ordering.IdempotencyLease), now, now.Add(ordering.IdempotencyTTL))
	if err != nil {
		return ordering.Begun{}, fmt.Errorf("postgresql: claim idempotency key: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return ordering.Begun{Claim: claim}, nil
	}
	var stored []byte
	var state string
	var status, orderStatus *int
	var body []byte
	var orderID *int64
	var leaseUntil time.Time
	err = s.pool.QueryRow(ctx, `SELECT request_hash, state, response_status, response_body, token, lease_until,
			order_id, order_status
		FROM idempotency_keys WHERE user_id = $1 AND key = $2`, userID, key).
		Scan(&stored, &state, &status, &body, &claim.Token, &leaseUntil, &orderID, &orderStatus)
	switch {
	case err != nil:
		return ordering.Begun{}, fmt.Errorf("postgresql: claim idempotency key: %w", err)
	case !bytes.Equal(stored, hash):
		return ordering.Begun{}, ordering.ErrIdempotencyKeyReused
	case state == "running" && orderID != nil && orderStatus != nil:
		// The order committed and its attempt did not answer, or has not yet: answer with the order,
		// under the holder's token (whichever of the two finishes first stores the response).
		var o ordering.Order
		err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
			var err error
			o, err = readOrder(ctx, tx, *orderID)
			return err
		})
		if err != nil {
			return ordering.Begun{}, fmt.Errorf("postgresql: read the order of idempotency key: %w", err)
		}
		return ordering.Begun{Claim: claim, Committed: &o, Status: *orderStatus}, nil
	case state == "running" || status == nil:
		// Within the lease; or just taken over by another retry.
		return ordering.Begun{}, &ordering.InFlightError{Wait: leaseUntil.Sub(now)}
	}
	return ordering.Begun{Stored: &ordering.StoredResponse{Status: *status, Body: body}}, nil
}

func newToken() string {
	b := make([]byte, 16)
	rand.Read(b) //nolint:errcheck // crypto/rand.Read does not fail
	return hex.EncodeToString(b)
}

// FinishIdempotent stores the response to the request that holds claim, for replay. A claim taken
// over by a retry, or already finished, is left as it is.
func (s *Store) FinishIdempotent(ctx context.Context, claim ordering.IdempotencyClaim, status int, body []byte) error {
	_, err := s.pool.Exec(ctx, `UPDATE idempotency_keys SET state = 'done', response_status = $4, response_body = $5
		WHERE user_id = $1 AND key = $2 AND token = $3 AND state = 'running'`,
		claim.UserID, claim.Key, claim.Token, status, body)
	if err != nil {
		return fmt.Errorf("postgresql: store idempotent response: %w", err)
	}
	return nil
}

// AbandonIdempotent lets go of claim, so that a request that failed on the server's side can be
// retried at once. A claim whose order committed is kept, for a retry to answer with the order.
func (s *Store) AbandonIdempotent(ctx context.Context, claim ordering.IdempotencyClaim) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys
		WHERE user_id = $1 AND key = $2 AND token = $3 AND state = 'running' AND order_id IS NULL`,
		claim.UserID, claim.Key, claim.Token)
	if err != nil {
		return fmt.Errorf("postgresql: abandon idempotency key: %w", err)
	}
	return nil
}

// claimLost is the SQLSTATE of idempotency_claim_lost() (migration 0006).
const claimLost = "OC409"

// queueOrderOnClaim queues, in an order's write batch before its COMMIT, the statement that records
// the outlet's live order in the cycle, and the status it answers (201 created, 200 replaced), on the
// idempotency key of claim. It fails the transaction when a retry took the key over, with an
// *ordering.InFlightError. Without a claim it queues nothing.
func queueOrderOnClaim(b *pgx.Batch, claim *ordering.IdempotencyClaim, outletID, cycleID int64, created bool) {
	if claim == nil {
		return
	}
	status := 200
	if created {
		status = 201
	}
	b.Queue(`WITH k AS (UPDATE idempotency_keys SET order_status = $6,
			order_id = (SELECT id FROM orders WHERE outlet_id = $4 AND cycle_id = $5 AND status NOT IN ('cancelled', 'failed'))
		WHERE user_id = $1 AND key = $2 AND token = $3 AND state = 'running' RETURNING 1)
		SELECT CASE WHEN EXISTS (SELECT FROM k) THEN true ELSE idempotency_claim_lost() END`,
		claim.UserID, claim.Key, claim.Token, outletID, cycleID, status).QueryRow(func(row pgx.Row) error {
		var held bool
		err := row.Scan(&held)
		if isClaimLost(err) {
			return &ordering.InFlightError{Wait: time.Second}
		}
		return err
	})
}

// keyLockClass is the first key of the transaction-scoped advisory lock an order placed under an
// Idempotency-Key holds on the key while it runs (the second is a hash of the user and the key). It is
// distinct from the scheduler's class, and the relay's lock has the one-key form.
const keyLockClass = 0x6f6b // "ok"

// claimable is the SQL condition under which the key row k may be claimed at now (SQL) by a request
// whose hash is hash (SQL): it has expired, or a request claimed it and neither committed an order nor
// answered within its lease, with the same body.
func claimable(now, hash string) string {
	return `(k.expires_at <= ` + now + ` OR (k.state = 'running' AND k.order_id IS NULL AND k.lease_until <= ` + now +
		` AND k.request_hash = ` + hash + `))`
}

// isClaimLost tells whether err is idempotency_claim_lost()'s.
func isClaimLost(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == claimLost
}

// keyHeld is the SQLSTATE of idempotency_key_held() (migration 0015).
const keyHeld = "OC410"

// queueTakeKey queues, in the first batch of an order's transaction placed under key, the lock of the
// key and the check that nothing holds it, in one statement; without a key it queues nothing. The lock
// is a transaction-scoped advisory lock on the user and the key, tried without waiting: while a request
// with the key runs, another fails at once with an *ordering.InFlightError (a crash or a rollback lets
// the lock go with the transaction; no lease is needed). A key already held by a committed row, not
// claimable (see claimable), fails the transaction with ordering.ErrIdempotencyKeyHeld. Either way
// nothing after it in the transaction runs. The check reads the keys as they were when the statement
// began: a request with the key that committed its answer between then and the lock is not seen here,
// but keyResponse, which writes the key when the order commits, checks again against the row as
// committed and fails the order with ordering.ErrIdempotencyKeyHeld.
func queueTakeKey(b *pgx.Batch, key *ordering.IdempotencyKey, now time.Time) {
	if key == nil {
		return
	}
	b.Queue(`SELECT CASE WHEN NOT pg_try_advisory_xact_lock($1, hashtext($2::bigint || '/' || $3::text)) THEN idempotency_claim_lost()
		WHEN EXISTS (SELECT FROM idempotency_keys k WHERE k.user_id = $2 AND k.key = $3 AND NOT `+claimable("$4", "$5")+`)
			THEN idempotency_key_held()
		ELSE true END`, keyLockClass, key.UserID, key.Key, now, key.Hash).QueryRow(func(row pgx.Row) error {
		var ok bool
		err := row.Scan(&ok)
		var pgErr *pgconn.PgError
		switch {
		case isClaimLost(err):
			return &ordering.InFlightError{Wait: time.Second}
		case errors.As(err, &pgErr) && pgErr.Code == keyHeld:
			return ordering.ErrIdempotencyKeyHeld
		}
		return err
	})
}

// keyResponse is the part of an order's write statement, in the last batch of its transaction placed
// under a key, that writes the key as answered with resp, recording the order (the id CTE o returns,
// created or replaced): a CTE named ks, its SQL with parameters from $first on, its arguments, and the
// final SELECT's column that fails the statement when the key was claimed meanwhile by a request
// outside an order's transaction (a claim does not take the advisory lock): isClaimLost, which the
// caller reports as ordering.ErrIdempotencyKeyHeld. nowParam is the parameter holding now.
func keyResponse(first int, nowParam string, key *ordering.IdempotencyKey, created bool, resp ordering.StoredResponse,
	now time.Time) (cte string, args []any, check string) {
	orderStatus := 200
	if created {
		orderStatus = 201
	}
	p := func(i int) string { return "$" + strconv.Itoa(first+i) }
	cte = `ks AS (INSERT INTO idempotency_keys AS k (user_id, key, request_hash, state, token, lease_until,
				created_at, expires_at, order_id, order_status, response_status, response_body)
			SELECT ` + p(0) + `::bigint, ` + p(1) + `::text, ` + p(2) + `::bytea, 'done', ` + p(3) + `::text, ` + nowParam + `, ` +
		nowParam + `, ` + p(4) + `::timestamptz, o.id, ` + p(5) + `::int, ` + p(6) + `::int, ` + p(7) + `::bytea FROM o
			ON CONFLICT (user_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, state = 'done',
				token = EXCLUDED.token, lease_until = EXCLUDED.lease_until, order_id = EXCLUDED.order_id,
				order_status = EXCLUDED.order_status, response_status = EXCLUDED.response_status,
				response_body = EXCLUDED.response_body, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
			WHERE ` + claimable(nowParam, p(2)) + `
			RETURNING 1)`
	args = []any{key.UserID, key.Key, key.Hash, newToken(), now.Add(ordering.IdempotencyTTL), orderStatus, resp.Status, resp.Body}
	return cte, args, `CASE WHEN EXISTS (SELECT FROM ks) THEN true ELSE idempotency_claim_lost() END`
}

// DeleteExpiredIdempotencyKeys removes keys past their expiry and returns how many.
func (s *Store) DeleteExpiredIdempotencyKeys(ctx context.Context, now time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE expires_at <= $1`, now)
	if err != nil {
		return 0, fmt.Errorf("postgresql: delete expired idempotency keys: %w", err)
	}
	return tag.RowsAffected(), nil
}
