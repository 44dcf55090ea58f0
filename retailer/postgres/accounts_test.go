package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/retailer"
	"github.com/ordercast/ordercast/retailer/postgres"
)

func TestSessionPrincipal(t *testing.T) {
	ctx := context.Background()
	s := postgres.New(storestest.Postgres(t))
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	p, err := s.AddUser(ctx, retailer.NewUser{Username: "Plan.One", Password: "long enough", Role: retailer.RolePlanner}, "hash")
	if err != nil {
		t.Fatal(err)
	}
	if got, hash, err := s.Credentials(ctx, "plan.one"); err != nil || got.UserID != p.UserID || hash != "hash" {
		t.Errorf("Credentials(other case) = %+v, %q, %v; want the user", got, hash, err)
	}
	live, expired, revoked := []byte("live-token-hash"), []byte("expired-token-hash"), []byte("revoked-token-hash")
	for _, tok := range []struct {
		hash    []byte
		expires time.Time
	}{{live, now.Add(time.Hour)}, {expired, now.Add(-time.Second)}, {revoked, now.Add(time.Hour)}} {
		if err := s.CreateSession(ctx, p.UserID, tok.hash, tok.expires); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RevokeSession(ctx, revoked, now); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		hash []byte
		ok   bool
	}{{"live", live, true}, {"expired", expired, false}, {"revoked", revoked, false}, {"unknown", []byte("nope"), false}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.SessionPrincipal(ctx, tt.hash, now)
			if tt.ok && (err != nil || got.UserID != p.UserID || got.Role != retailer.RolePlanner) {
				t.Errorf("SessionPrincipal(%s) = %+v, %v; want the planner", tt.name, got, err)
			}
			if !tt.ok && !errors.Is(err, retailer.ErrUnauthenticated) {
				t.Errorf("SessionPrincipal(%s) = %+v, %v; want ErrUnauthenticated", tt.name, got, err)
			}
		})
	}
	if err := s.DisableUser(ctx, "PLAN.ONE", now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionPrincipal(ctx, live, now); !errors.Is(err, retailer.ErrUnauthenticated) {
		t.Errorf("SessionPrincipal after DisableUser = %v; want ErrUnauthenticated", err)
	}
	if _, _, err := s.Credentials(ctx, "plan.one"); !errors.Is(err, retailer.ErrInvalidCredentials) {
		t.Errorf("Credentials of a disabled user = %v; want ErrInvalidCredentials", err)
	}
	if n, err := s.FailedLogins(ctx, "x", now.Add(-time.Minute)); err != nil || n != 0 {
		t.Fatalf("FailedLogins = %d, %v", n, err)
	}
	for i := 0; i < 3; i++ {
		if err := s.RecordFailedLogin(ctx, "X", now.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := s.FailedLogins(ctx, "x", now.Add(-time.Minute)); n != 3 {
		t.Errorf("FailedLogins(x) after 3 failures of X = %d; want 3", n)
	}
	if n, _ := s.FailedLogins(ctx, "x", now.Add(time.Second)); n != 1 {
		t.Errorf("FailedLogins(x) since the second failure = %d; want 1", n)
	}
}
