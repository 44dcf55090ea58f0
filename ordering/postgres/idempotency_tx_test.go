package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ordercast/ordercast/ordering"
)

// respondJSON is a PlaceOptions.Respond that renders the order's id, version and lines as JSON, with
// 201 for an order created and 200 for one replaced, and counts its calls.
func respondJSON(calls *int) func(ordering.Order, bool) (ordering.StoredResponse, error) {
	return func(o ordering.Order, created bool) (ordering.StoredResponse, error) {
		*calls++
		status := 200
		if created {
			status = 201
		}
		body, err := json.Marshal(map[string]any{"id": o.ID, "version": o.Version, "lines": len(o.Lines), "total": o.TotalCents})
		return ordering.StoredResponse{Status: status, Body: body}, err
	}
}

// underKey is PlaceOptions of an order placed under the Idempotency-Key key of user, whose request
// hashes to hash.
func underKey(user int64, key, hash string, respond func(ordering.Order, bool) (ordering.StoredResponse, error)) ordering.PlaceOptions {
	return ordering.PlaceOptions{Key: &ordering.IdempotencyKey{UserID: user, Key: key, Hash: []byte(hash)}, Respond: respond}
}

// TestPlaceOrderUnderKey: an order placed under an Idempotency-Key commits the order, the key and the
// response together: a repeat finds the response kept (through BeginIdempotent, as the HTTP adapter
// does), and what the response said is what the store holds.
func TestPlaceOrderUnderKey(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	user := retailerUser(t, f)
	var calls int
	lines := []ordering.LineRequest{{Brand: "S", Requested: 2}, {Brand: "A", Requested: 3}}

	for i, tt := range []struct {
		key        string
		wantStatus int
	}{{"k1", 201}, {"k2", 200}} {
		o, created, err := f.s.PlaceOrder(ctx, f.outlet, user, lines, underKey(user, tt.key, tt.key, respondJSON(&calls)), f.now)
		if err != nil || created != (i == 0) || calls != i+1 {
			t.Fatalf("PlaceOrder under %s = %v, created %v, %d Respond calls; want created %v, %d calls", tt.key, err, created, calls, i == 0, i+1)
		}
		stored, err := f.s.Order(ctx, f.outlet, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Version != o.Version || !stored.UpdatedAt.Equal(o.UpdatedAt) || stored.PlacedBy == nil || o.PlacedBy == nil ||
			*stored.PlacedBy != *o.PlacedBy {
			t.Errorf("PlaceOrder answered version %d at %v by %+v; the store holds version %d at %v by %+v",
				o.Version, o.UpdatedAt, o.PlacedBy, stored.Version, stored.UpdatedAt, stored.PlacedBy)
		}
		got, err := f.s.BeginIdempotent(ctx, user, tt.key, []byte(tt.key), f.now.Add(time.Minute))
		want := fmt.Sprintf(`{"id":%d,"lines":2,"total":%d,"version":%d}`, o.ID, o.TotalCents, o.Version)
		if err != nil || got.Stored == nil || got.Stored.Status != tt.wantStatus || string(got.Stored.Body) != want {
			t.Errorf("Begin after PlaceOrder under %s = %+v, %v; want the kept %d %s", tt.key, got, err, tt.wantStatus, want)
		}
	}

	// The same key again: held, nothing written.
	_, _, err := f.s.PlaceOrder(ctx, f.outlet, user, lines, underKey(user, "k2", "k2", respondJSON(&calls)), f.now)
	if !errors.Is(err, ordering.ErrIdempotencyKeyHeld) || calls != 2 {
		t.Errorf("PlaceOrder under a key answered = %v, %d Respond calls; want ErrIdempotencyKeyHeld, 2 calls", err, calls)
	}
	// With another body: held as well; the claim then says the key was reused.
	_, _, err = f.s.PlaceOrder(ctx, f.outlet, user, lines, underKey(user, "k2", "other", respondJSON(&calls)), f.now)
	if !errors.Is(err, ordering.ErrIdempotencyKeyHeld) {
		t.Errorf("PlaceOrder under a key answered, another body = %v; want ErrIdempotencyKeyHeld", err)
	}
	if o, err := f.s.Order(ctx, f.outlet, 1); err != nil || o.Version != 2 {
		t.Errorf("order after the repeats = version %d, %v; want version 2 (not replaced again)", o.Version, err)
	}
	// Once a key expired, it is taken again.
	if _, err := f.pool.Exec(ctx, `UPDATE idempotency_keys SET expires_at = $1 WHERE key = 'k1'`, f.now); err != nil {
		t.Fatal(err)
	}
	lines = []ordering.LineRequest{{Brand: "S", Requested: 1}}
	o, created, err := f.s.PlaceOrder(ctx, f.outlet, user, lines, underKey(user, "k1", "k1", respondJSON(&calls)), f.now)
	if err != nil || created || o.Version != 3 {
		t.Errorf("PlaceOrder under an expired key = version %d, created %v, %v; want the order replaced (version 3)", o.Version, created, err)
	}
	if got, err := f.s.BeginIdempotent(ctx, user, "k1", []byte("k1"), f.now); err != nil || got.Stored == nil || got.Stored.Status != 200 {
		t.Errorf("Begin after the expired key was taken = %+v, %v; want its new 200", got, err)
	}
	if used, _ := f.used(t); used != 1 {
		t.Errorf("used = %d; want 1 (as the last order asks)", used)
	}
}

// TestPlaceOrderUnderKeyCrashBeforeCommit: what used to be three commits (the claim, the order, the
// response) is one. An attempt that dies after its reads and before its commit (here its context is
// cancelled as its response is rendered, as a crashed instance's connection is closed) leaves neither
// the order nor the key: a retry with the key places the order, once.
func TestPlaceOrderUnderKeyCrashBeforeCommit(t *testing.T) {
	f := newOrderFixture(t)
	user := retailerUser(t, f)
	lines := []ordering.LineRequest{{Brand: "S", Requested: 3}}
	var calls int

	reqCtx, cancel := context.WithCancel(context.Background())
	dying := func(o ordering.Order, created bool) (ordering.StoredResponse, error) {
		cancel() // the instance goes between rendering the response and sending the commit
		return respondJSON(&calls)(o, created)
	}
	if _, _, err := f.s.PlaceOrder(reqCtx, f.outlet, user, lines, underKey(user, "k", "h", dying), f.now); err == nil {
		t.Fatal("PlaceOrder whose context ends before the commit = nil; want an error")
	}
	if used, _ := f.used(t); used != 0 {
		t.Errorf("after the attempt that died, used = %d; want 0 (nothing committed)", used)
	}
	var keys int
	if err := f.pool.QueryRow(context.Background(), `SELECT count(*) FROM idempotency_keys`).Scan(&keys); err != nil || keys != 0 {
		t.Errorf("after the attempt that died, %d keys (%v); want none", keys, err)
	}
	// A failure of the response itself commits nothing either.
	failing := func(ordering.Order, bool) (ordering.StoredResponse, error) {
		return ordering.StoredResponse{}, errors.New("render failed")
	}
	if _, _, err := f.s.PlaceOrder(context.Background(), f.outlet, user, lines, underKey(user, "k", "h", failing), f.now); err == nil {
		t.Fatal("PlaceOrder whose response fails = nil; want its error")
	}
	o, created, err := f.s.PlaceOrder(context.Background(), f.outlet, user, lines, underKey(user, "k", "h", respondJSON(&calls)), f.now)
	if err != nil || !created {
		t.Fatalf("retry = created %v, %v; want the order created", created, err)
	}
	if used, _ := f.used(t); used != 3 {
		t.Errorf("after the retry, used = %d; want 3 (placed once)", used)
	}
	got, err := f.s.BeginIdempotent(context.Background(), user, "k", []byte("h"), f.now)
	if err != nil || got.Stored == nil || got.Stored.Status != 201 {
		t.Errorf("Begin after the retry = %+v, %v; want its kept 201 (order %d)", got, err, o.ID)
	}
}

// TestPlaceOrderUnderKeyInFlight: while an order under a key runs, a repeat with the key is told it is
// in flight at once (it does not wait for the first); a key claimed by a separate claim (the way other
// requests take keys) is held for an order under it, and the claim then sees the key as it is.
func TestPlaceOrderUnderKeyInFlight(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	user := retailerUser(t, f)
	lines := []ordering.LineRequest{{Brand: "A", Requested: 1}}
	var calls int

	var inner error
	repeatInside := func(o ordering.Order, created bool) (ordering.StoredResponse, error) {
		// The first attempt holds its key here, between its reads and its commit.
		repeatCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		_, _, inner = f.s.PlaceOrder(repeatCtx, f.outlet, user, lines, underKey(user, "k", "h", respondJSON(&calls)), f.now)
		return respondJSON(&calls)(o, created)
	}
	if _, _, err := f.s.PlaceOrder(ctx, f.outlet, user, lines, underKey(user, "k", "h", repeatInside), f.now); err != nil {
		t.Fatal(err)
	}
	var inFlight *ordering.InFlightError
	if !errors.As(inner, &inFlight) || inFlight.RetryAfter() != time.Second {
		t.Errorf("repeat while the first runs = %v; want an *InFlightError retrying after 1s", inner)
	}
	// Another user's key of the same name is another key.
	other := int64(0)
	if err := f.pool.QueryRow(ctx, `INSERT INTO users (username, password_hash, role, outlet_id) VALUES ('r2', 'x', 'retailer', $1)
		RETURNING id`, f.outlet).Scan(&other); err != nil {
		t.Fatal(err)
	}
	if _, created, err := f.s.PlaceOrder(ctx, f.outlet, other, lines, underKey(other, "k", "h", respondJSON(&calls)), f.now); err != nil || created {
		t.Errorf("another user's order under the same key name = created %v, %v; want the outlet's order replaced", created, err)
	}

	claim, err := f.s.BeginIdempotent(ctx, user, "c", []byte("h"), f.now)
	if err != nil || claim.Claim.Token == "" {
		t.Fatalf("Begin = %+v, %v", claim, err)
	}
	if _, _, err := f.s.PlaceOrder(ctx, f.outlet, user, lines, underKey(user, "c", "h", respondJSON(&calls)), f.now); !errors.Is(err, ordering.ErrIdempotencyKeyHeld) {
		t.Errorf("PlaceOrder under a key claimed separately = %v; want ErrIdempotencyKeyHeld", err)
	}
	if _, err := f.s.BeginIdempotent(ctx, user, "c", []byte("h"), f.now.Add(time.Second)); !errors.Is(err, ordering.ErrIdempotencyInFlight) {
		t.Errorf("Begin after it = %v; want ErrIdempotencyInFlight (the claim still runs)", err)
	}
}
