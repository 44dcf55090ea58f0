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

	first, err := s.BeginIdempotent(ctx, user, "k", body, now)
	if err != nil || first.Stored != nil || first.Committed != nil || first.Claim.Token == "" {
		t.Fatalf("first Begin = %+v, %v; want a claim to process the request", first, err)
	}
	var inFlight *ordering.InFlightError
	if _, err := s.BeginIdempotent(ctx, user, "k", body, now.Add(4*time.Second)); !errors.As(err, &inFlight) ||
		!errors.Is(err, ordering.ErrIdempotencyInFlight) || inFlight.RetryAfter() != ordering.IdempotencyLease-4*time.Second {
		t.Errorf("Begin while running = %v; want ErrIdempotencyInFlight retrying after the rest of the lease", err)
	}
	if err := s.FinishIdempotent(ctx, first.Claim, 201, []byte(`{"id":1}`)); err != nil {
		t.Fatal(err)
	}
	got, err := s.BeginIdempotent(ctx, user, "k", body, now.Add(time.Hour))
	if err != nil || got.Stored == nil || got.Stored.Status != 201 || string(got.Stored.Body) != `{"id":1}` {
		t.Errorf("Begin after Finish = %+v, %v; want the stored 201 response", got, err)
	}
	if _, err := s.BeginIdempotent(ctx, user, "k", other, now); !errors.Is(err, ordering.ErrIdempotencyKeyReused) {
		t.Errorf("Begin with another body = %v; want ErrIdempotencyKeyReused", err)
	}
	again, err := s.BeginIdempotent(ctx, user, "k", other, now.Add(ordering.IdempotencyTTL))
	if err != nil || again.Stored != nil || again.Claim.Token == "" {
		t.Errorf("Begin after the key expired = %+v, %v; want a fresh start", again, err)
	}
	if err := s.AbandonIdempotent(ctx, again.Claim); err != nil {
		t.Fatal(err)
	}
	if got, err := s.BeginIdempotent(ctx, user, "k", body, now.Add(ordering.IdempotencyTTL)); err != nil || got.Stored != nil || got.Claim.Token == "" {
		t.Errorf("Begin after Abandon = %+v, %v; want a fresh start", got, err)
	}
	if n, err := s.DeleteExpiredIdempotencyKeys(ctx, now.Add(3*ordering.IdempotencyTTL)); err != nil || n != 1 {
		t.Errorf("DeleteExpiredIdempotencyKeys = %d, %v; want 1", n, err)
	}
}

// TestIdempotencyLeaseTakeOver: a claim whose attempt never finishes (a crashed instance) is taken
// over by a retry once its lease passes, and the first attempt can neither finish nor abandon the key
// it lost.
func TestIdempotencyLeaseTakeOver(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	user := retailerUser(t, f)
	body := []byte("hash")

	first, err := f.s.BeginIdempotent(ctx, user, "k", body, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.BeginIdempotent(ctx, user, "k", []byte("other"), f.now.Add(ordering.IdempotencyLease)); !errors.Is(err, ordering.ErrIdempotencyKeyReused) {
		t.Errorf("Begin after the lease with another body = %v; want ErrIdempotencyKeyReused", err)
	}
	second, err := f.s.BeginIdempotent(ctx, user, "k", body, f.now.Add(ordering.IdempotencyLease))
	if err != nil || second.Stored != nil || second.Committed != nil || second.Claim.Token == "" || second.Claim.Token == first.Claim.Token {
		t.Fatalf("Begin after the lease = %+v, %v; want the key taken over with a new claim", second, err)
	}
	// The first attempt wakes up: its order's transaction fails, its finish and abandon change nothing.
	_, _, err = f.s.PlaceOrder(ctx, f.outlet, user,
		[]ordering.LineRequest{{Brand: "S", Requested: 2}}, ordering.PlaceOptions{Claim: &first.Claim}, f.now)
	if !errors.Is(err, ordering.ErrIdempotencyInFlight) {
		t.Errorf("PlaceOrder under the lost claim = %v; want ErrIdempotencyInFlight", err)
	}
	if used, _ := f.used(t); used != 0 {
		t.Errorf("after PlaceOrder under the lost claim, used = %d; want 0 (rolled back)", used)
	}
	if err := f.s.FinishIdempotent(ctx, first.Claim, 409, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if err := f.s.AbandonIdempotent(ctx, first.Claim); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.BeginIdempotent(ctx, user, "k", body, f.now.Add(ordering.IdempotencyLease+time.Second)); !errors.Is(err, ordering.ErrIdempotencyInFlight) {
		t.Errorf("Begin while the retry runs = %v; want ErrIdempotencyInFlight (the lost claim finished nothing)", err)
	}
	o, created, err := f.s.PlaceOrder(ctx, f.outlet, user,
		[]ordering.LineRequest{{Brand: "S", Requested: 2}}, ordering.PlaceOptions{Claim: &second.Claim}, f.now)
	if err != nil || !created {
		t.Fatalf("PlaceOrder under the new claim = %v, %v; want created", created, err)
	}
	if err := f.s.FinishIdempotent(ctx, second.Claim, 201, []byte(`{"id":1}`)); err != nil {
		t.Fatal(err)
	}
	got, err := f.s.BeginIdempotent(ctx, user, "k", body, f.now.Add(time.Minute))
	if err != nil || got.Stored == nil || got.Stored.Status != 201 {
		t.Errorf("Begin after the retry finished = %+v, %v; want its stored response (order %d)", got, err, o.ID)
	}
}

// TestIdempotencyCommittedOrderRecovered: an order committed under a claim whose response was never
// stored (the instance crashed, or the request's context was cancelled so that finishing failed) is
// found by a retry, within the lease or after it, with the status it answers; it is never run again.
func TestIdempotencyCommittedOrderRecovered(t *testing.T) {
	f := newOrderFixture(t)
	user := retailerUser(t, f)
	for _, tt := range []struct {
		name, key  string
		wantStatus int
	}{
		{"created", "k1", 201},
		{"replaced", "k2", 200}, // the outlet's live order, placed under k1, is replaced
	} {
		t.Run(tt.name, func(t *testing.T) {
			reqCtx, cancel := context.WithCancel(context.Background())
			claim, err := f.s.BeginIdempotent(reqCtx, user, tt.key, []byte(tt.key), f.now)
			if err != nil {
				t.Fatal(err)
			}
			placed, _, err := f.s.PlaceOrder(reqCtx, f.outlet, user,
				[]ordering.LineRequest{{Brand: "S", Requested: 1}, {Brand: "A", Requested: 4}}, ordering.PlaceOptions{Claim: &claim.Claim}, f.now)
			if err != nil {
				t.Fatal(err)
			}
			cancel() // the client hangs up: finishing on the request's context fails
			if err := f.s.FinishIdempotent(reqCtx, claim.Claim, tt.wantStatus, []byte("{}")); err == nil {
				t.Fatal("FinishIdempotent on a cancelled context = nil; want an error")
			}
			// A 5xx after the commit abandons the key: the committed order keeps it.
			if err := f.s.AbandonIdempotent(context.Background(), claim.Claim); err != nil {
				t.Fatal(err)
			}
			for _, at := range []time.Time{f.now.Add(time.Second), f.now.Add(ordering.IdempotencyLease + time.Minute)} {
				got, err := f.s.BeginIdempotent(context.Background(), user, tt.key, []byte(tt.key), at)
				if err != nil || got.Committed == nil || got.Status != tt.wantStatus || got.Claim != claim.Claim {
					t.Fatalf("retry at %v = %+v, %v; want order %d committed with %d under the first claim",
						at.Sub(f.now), got, err, placed.ID, tt.wantStatus)
				}
				if got.Committed.ID != placed.ID || got.Committed.Version != placed.Version || len(got.Committed.Lines) != 2 ||
					got.Committed.TotalCents != placed.TotalCents {
					t.Errorf("recovered order = %+v; want %+v", *got.Committed, placed)
				}
			}
			if err := f.s.FinishIdempotent(context.Background(), claim.Claim, tt.wantStatus, []byte(`{"recovered":true}`)); err != nil {
				t.Fatal(err)
			}
			got, err := f.s.BeginIdempotent(context.Background(), user, tt.key, []byte(tt.key), f.now.Add(time.Hour))
			if err != nil || got.Stored == nil || got.Stored.Status != tt.wantStatus || string(got.Stored.Body) != `{"recovered":true}` {
				t.Errorf("Begin after the recovery finished = %+v, %v; want the stored response", got, err)
			}
		})
	}
	if used, _ := f.used(t); used != 1 {
		t.Errorf("used = %d; want 1 (each order placed once)", used)
	}
}

// retailerUser adds a retailer of the fixture's outlet and returns its id.
func retailerUser(t *testing.T, f orderFixture) int64 {
	t.Helper()
	var user int64
	if err := f.pool.QueryRow(context.Background(), `INSERT INTO users (username, password_hash, role, outlet_id)
		VALUES ('r', 'x', 'retailer', $1) RETURNING id`, f.outlet).Scan(&user); err != nil {
		t.Fatal(err)
	}
	return user
}
