package postgres

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/ordercast/ordercast/ordering"
)

// BeginIdempotent claims key for the user's request with the given body hash at now. It returns nil
// and no error when the request is the first (the caller processes it, then calls FinishIdempotent or
// AbandonIdempotent); the stored response when the same request was already answered; an error
// wrapping ordering.ErrIdempotencyKeyReused for another body, or ordering.ErrIdempotencyInFlight while
// the first is still running. An expired key counts as new.
//
// A first request costs one statement, committed on its own: the claim is atomic (INSERT … ON CONFLICT),
// so it needs no transaction around it. Only a key already held is read back, by a second statement
// that sees the holder's committed row.
func (s *Store) BeginIdempotent(ctx context.Context, userID int64, key string, hash []byte, now time.Time) (*ordering.StoredResponse, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO idempotency_keys (user_id, key, request_hash, state, created_at, expires_at)
		VALUES ($1, $2, $3, 'running', $4, $5)
		ON CONFLICT (user_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, state = 'running',
			response_status = NULL, response_body = NULL, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
		WHERE idempotency_keys.expires_at <= $4`,
		userID, key, hash, now, now.Add(ordering.IdempotencyTTL))
	if err != nil {
		return nil, fmt.Errorf("postgresql: claim idempotency key: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return nil, nil
	}
	var stored []byte
	var state string
	var status *int
	var body []byte
	err = s.pool.QueryRow(ctx, `SELECT request_hash, state, response_status, response_body FROM idempotency_keys
		WHERE user_id = $1 AND key = $2`, userID, key).Scan(&stored, &state, &status, &body)
	switch {
	case err != nil:
		return nil, fmt.Errorf("postgresql: claim idempotency key: %w", err)
	case !bytes.Equal(stored, hash):
		return nil, ordering.ErrIdempotencyKeyReused
	case state == "running" || status == nil:
		return nil, ordering.ErrIdempotencyInFlight
	}
	return &ordering.StoredResponse{Status: *status, Body: body}, nil
}

// FinishIdempotent stores the response to the first request with key, for replay.
func (s *Store) FinishIdempotent(ctx context.Context, userID int64, key string, status int, body []byte) error {
	_, err := s.pool.Exec(ctx, `UPDATE idempotency_keys SET state = 'done', response_status = $3, response_body = $4
		WHERE user_id = $1 AND key = $2`, userID, key, status, body)
	if err != nil {
		return fmt.Errorf("postgresql: store idempotent response: %w", err)
	}
	return nil
}

// AbandonIdempotent forgets key, so that a request that failed on the server's side can be retried.
func (s *Store) AbandonIdempotent(ctx context.Context, userID int64, key string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND state = 'running'`, userID, key)
	if err != nil {
		return fmt.Errorf("postgresql: abandon idempotency key: %w", err)
	}
	return nil
}

// DeleteExpiredIdempotencyKeys removes keys past their expiry and returns how many.
func (s *Store) DeleteExpiredIdempotencyKeys(ctx context.Context, now time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE expires_at <= $1`, now)
	if err != nil {
		return 0, fmt.Errorf("postgresql: delete expired idempotency keys: %w", err)
	}
	return tag.RowsAffected(), nil
}
