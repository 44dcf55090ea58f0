package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/forecast/allocation"
	"github.com/ordercast/ordercast/forecast/postgres"
)

// A kept preview reads back until it expires; keeping one again replaces it; keeping any deletes
// the rows that expired.
func TestKeptPreviews(t *testing.T) {
	pool := storestest.Postgres(t)
	s := postgres.New(pool)
	ctx := context.Background()
	week := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	now := time.Now()
	if err := s.KeepPreview(ctx, "a", week, []byte("first"), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.KeepPreview(ctx, "old", week, []byte("old"), now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Preview(ctx, "a", now); err != nil || !bytes.Equal(got, []byte("first")) {
		t.Errorf("Preview(a) = %q, %v; want first", got, err)
	}
	if err := s.KeepPreview(ctx, "a", week, []byte("second"), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Preview(ctx, "a", now); err != nil || !bytes.Equal(got, []byte("second")) {
		t.Errorf("Preview(a) kept again = %q, %v; want second", got, err)
	}
	for _, tt := range []struct {
		id  string
		now time.Time
	}{{"a", now.Add(time.Hour)}, {"old", now}, {"none", now}} {
		if got, err := s.Preview(ctx, tt.id, tt.now); !errors.Is(err, allocation.ErrNoPreview) {
			t.Errorf("Preview(%s) at %s = %q, %v; want ErrNoPreview", tt.id, tt.now, got, err)
		}
	}
	var rows int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM allocation_previews`).Scan(&rows); err != nil || rows != 1 {
		t.Errorf("allocation_previews holds %d rows (%v); want 1: the expired one deleted by the next kept", rows, err)
	}
}
