package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordercast/ordercast/ordering"
)

// BeginIdempotent claims key for the user's request with the given body hash at now. It returns nil
// and no error when the request is the first (the caller processes it, then calls FinishIdempotent or
// AbandonIdempotent); the stored response when the same request was already answered; an error
// wrapping ordering.ErrIdempotencyKeyReused for another body, or ordering.ErrIdempotencyInFlight while
// the first is still running. An expired key counts as new.
func (s *Store) BeginIdempotent(ctx context.Context, userID int64, key string, hash []byte, now time.Time) (*ordering.StoredResponse, error) {
	var resp *ordering.StoredResponse
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (user_id, key, request_hash, state, created_at, expires_at)
			VALUES ($1, $2, $3, 'running', $4, $5)
			ON CONFLICT (user_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, state = 'running',
				response_status = NULL, response_body = NULL, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
			WHERE idempotency_keys.expires_at <= $4`,
			userID, key, hash, now, now.Add(ordering.IdempotencyTTL))
		if err != nil || tag.RowsAffected() == 1 {
			return err
		}
		var stored []byte
		var state string
		var status *int
		var body []byte
		if err := tx.QueryRow(ctx, `SELECT request_hash, state, response_status, response_body FROM idempotency_keys
			WHERE user_id = $1 AND key = $2`, userID, key).Scan(&stored, &state, &status, &body); err != nil {
			return err
		}
		switch {
		case !bytes.Equal(stored, hash):
			return ordering.ErrIdempotencyKeyReused
		case state == "running" || status == nil:
			return ordering.ErrIdempotencyInFlight
		}
		resp = &ordering.StoredResponse{Status: *status, Body: body}
		return nil
	})
	if err != nil {
		if errors.Is(err, ordering.ErrIdempotencyKeyReused) || errors.Is(err, ordering.ErrIdempotencyInFlight) {
			return nil, err
		}
		return nil, fmt.Errorf("postgresql: claim idempotency key: %w", err)
	}
	return resp, nil
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
