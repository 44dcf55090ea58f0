package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/ordering/postgres"
)

func TestIdempotencyKeys(t *testing.T) {
	ctx := context.Background()
	pool := storestest.Postgres(t)
	s := postgres.New(pool)
	var user int64
	if err := pool.QueryRow(ctx, `INSERT INTO users (username, password_hash, role) VALUES ('p', 'x', 'planner') RETURNING id`).Scan(&user); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	body, other := []byte("hash of body"), []byte("hash of another body")

	if got, err := s.BeginIdempotent(ctx, user, "k", body, now); got != nil || err != nil {
		t.Fatalf("first Begin = %v, %v; want nil, nil (process the request)", got, err)
	}
	if _, err := s.BeginIdempotent(ctx, user, "k", body, now); !errors.Is(err, ordering.ErrIdempotencyInFlight) {
		t.Errorf("Begin while running = %v; want ErrIdempotencyInFlight", err)
	}
	if err := s.FinishIdempotent(ctx, user, "k", 201, []byte(`{"id":1}`)); err != nil {
		t.Fatal(err)
	}
	got, err := s.BeginIdempotent(ctx, user, "k", body, now.Add(time.Hour))
	if err != nil || got == nil || got.Status != 201 || string(got.Body) != `{"id":1}` {
		t.Errorf("Begin after Finish = %+v, %v; want the stored 201 response", got, err)
	}
	if _, err := s.BeginIdempotent(ctx, user, "k", other, now); !errors.Is(err, ordering.ErrIdempotencyKeyReused) {
		t.Errorf("Begin with another body = %v; want ErrIdempotencyKeyReused", err)
	}
	if got, err := s.BeginIdempotent(ctx, user, "k", other, now.Add(ordering.IdempotencyTTL)); got != nil || err != nil {
		t.Errorf("Begin after the key expired = %v, %v; want a fresh start", got, err)
	}
	if err := s.AbandonIdempotent(ctx, user, "k"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.BeginIdempotent(ctx, user, "k", body, now.Add(ordering.IdempotencyTTL)); got != nil || err != nil {
		t.Errorf("Begin after Abandon = %v, %v; want a fresh start", got, err)
	}
	if n, err := s.DeleteExpiredIdempotencyKeys(ctx, now.Add(3*ordering.IdempotencyTTL)); err != nil || n != 1 {
		t.Errorf("DeleteExpiredIdempotencyKeys = %d, %v; want 1", n, err)
	}
}
