package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/forecast/allocation"
	"github.com/ordercast/ordercast/forecast/postgres"
	retailerpg "github.com/ordercast/ordercast/retailer/postgres"
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

// A reserved preview is pending until its plan is kept, and a dropped one is gone.
func TestReservedPreview(t *testing.T) {
	s := postgres.New(storestest.Postgres(t))
	ctx := context.Background()
	week := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	now := time.Now()
	if err := s.ReservePreview(ctx, "p", week, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Preview(ctx, "p", now); !errors.Is(err, allocation.ErrPreviewPending) {
		t.Errorf("Preview of a reserved preview = %q, %v; want ErrPreviewPending", got, err)
	}
	if err := s.KeepPreview(ctx, "p", week, []byte("plan"), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.ReservePreview(ctx, "p", week, now.Add(time.Hour)); err != nil { // leaves the kept one
		t.Fatal(err)
	}
	if got, err := s.Preview(ctx, "p", now); err != nil || string(got) != "plan" {
		t.Errorf("Preview once kept = %q, %v; want plan", got, err)
	}
	if err := s.DropPreview(ctx, "p"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Preview(ctx, "p", now); !errors.Is(err, allocation.ErrNoPreview) {
		t.Errorf("Preview once dropped = %q, %v; want ErrNoPreview", got, err)
	}
}

// Roster gives the outlets as retailer/postgres reads them, converted by allocation.OutletsOf, and
// a version that changes with any change to what it reads, by this service or by hand (the trigger
// of migration 0016: without it the version never moves), and not with a balance or a name.
func TestRosterIsTheOutlets(t *testing.T) {
	pool := storestest.Postgres(t)
	s := postgres.New(pool)
	ctx := context.Background()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`INSERT INTO account_managers (code, name) VALUES ('AM1', '王经理')`)
	for i, o := range []struct {
		licence, area, format, locality, market, credit, status string
		grade                                                   int
		benchmark                                               bool
	}{
		{"330102000003", "西湖区", "kiosk", "rural", "城网", "AA", "active", 30, true},
		{"330102000001", "上城区", "convenience", "urban", "", "", "suspended", 1, false},
		{"330102000002", "", "supermarket", "urban", "农网", "B", "closed", 17, false},
	} {
		exec(`INSERT INTO outlets (licence_no, name, area, business_format, locality, market_type, credit_level, status,
			grade, benchmark, order_day, manager_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 2,
			(SELECT id FROM account_managers WHERE $11 AND code = 'AM1'))`,
			o.licence, "终端"+o.licence, o.area, o.format, o.locality, o.market, o.credit, o.status, o.grade, o.benchmark, i != 1)
	}
	retailers := retailerpg.New(pool)
	check := func(step, have string, wantSame bool) string {
		t.Helper()
		version, got, err := s.Roster(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		outlets, err := retailers.Outlets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := allocation.OutletsOf(outlets); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Roster = %+v\nwant %+v", step, got, want)
		}
		if (version == have) != wantSame {
			t.Errorf("%s: version %q, before %q; want the same: %v", step, version, have, wantSame)
		}
		again, none, err := s.Roster(ctx, version)
		if err != nil || again != version || none != nil {
			t.Errorf("%s: Roster(%q) = %q, %d outlets, %v; want the same version and no outlets", step, version, again, len(none), err)
		}
		return version
	}
	v := check("seeded", "", false)
	v = check("unchanged", v, true)
	exec(`UPDATE outlets SET grade = 29 WHERE licence_no = '330102000003'`) // by hand: updated_at as it was
	v = check("grade by hand", v, false)
	exec(`UPDATE outlets SET balance_cents = 100, updated_at = now() WHERE licence_no = '330102000001'`)
	v = check("balance", v, true)
	exec(`UPDATE outlets SET name = '新名字', address = '路 1 号', route = 'R2' WHERE licence_no = '330102000001'`)
	v = check("name, address and route", v, true)
	exec(`UPDATE outlets SET status = 'closed' WHERE licence_no = '330102000001'`)
	v = check("closed", v, false)
	for _, set := range []string{"area = '拱墅区'", "market_type = '城网'", "locality = 'rural'", "business_format = 'chain'",
		"credit_level = 'A'", "benchmark = true", "licence_no = '330102000009'"} {
		exec(`UPDATE outlets SET ` + set + ` WHERE licence_no = '330102000002'`)
		v = check(set, v, false)
	}
	exec(`INSERT INTO outlets (licence_no, name, area, business_format, locality, order_day, grade) VALUES ('330102000000', 'x', '滨江区', 'chain', 'urban', 1, 5)`)
	v = check("new outlet", v, false)
	tx, err := pool.Begin(ctx) // a grade changed in a transaction still open: not seen, then seen
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // committed below
	if _, err := tx.Exec(ctx, `UPDATE outlets SET grade = 3 WHERE licence_no = '330102000000'`); err != nil {
		t.Fatal(err)
	}
	v = check("grade not committed", v, true)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	v = check("grade committed", v, false)
	exec(`DELETE FROM outlets WHERE licence_no = '330102000000'`)
	check("deleted outlet", v, false)
}
