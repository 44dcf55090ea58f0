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
	// Ended sessions are deleted once they ended before the time given; live ones stay.
	if n, err := s.DeleteEndedSessions(ctx, now.Add(-time.Minute)); err != nil || n != 0 {
		t.Errorf("DeleteEndedSessions(a minute before any ended) = %d, %v; want 0", n, err)
	}
	if n, err := s.DeleteEndedSessions(ctx, now.Add(time.Minute)); err != nil || n != 2 {
		t.Errorf("DeleteEndedSessions(after the expired and the revoked ended) = %d, %v; want 2", n, err)
	}
	if _, err := s.SessionPrincipal(ctx, live, now); err != nil {
		t.Errorf("SessionPrincipal(live) after deleting ended sessions = %v; want the planner", err)
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
	// Login attempts: each key admits Max attempts in a rolling window, on its own; Forget gives one back.
	limits := []retailer.Limit{{Key: "client a", Max: 3}, {Key: "pair x a", Max: 2}}
	for i, want := range []bool{true, true, false} {
		freeAt, err := s.Admit(ctx, now.Add(time.Duration(i)*time.Second), time.Minute, limits)
		if err != nil || freeAt.IsZero() != want {
			t.Fatalf("Admit #%d = %v, %v; want admitted %v", i+1, freeAt, err, want)
		}
		if !want && !freeAt.Equal(now.Add(time.Minute)) {
			t.Errorf("Admit #%d frees at %v; want %v (the oldest attempt plus the window)", i+1, freeAt, now.Add(time.Minute))
		}
	}
	// The client key admitted the third attempt (its own budget had room): it is now full.
	if freeAt, _ := s.Admit(ctx, now.Add(3*time.Second), time.Minute, limits[:1]); freeAt.IsZero() {
		t.Errorf("Admit(client) after 3 attempts admitted; want refused")
	}
	if err := s.Forget(ctx, now.Add(time.Second), []string{"pair x a", "client a"}); err != nil {
		t.Fatal(err)
	}
	if freeAt, err := s.Admit(ctx, now.Add(4*time.Second), time.Minute, limits); err != nil || !freeAt.IsZero() {
		t.Errorf("Admit after Forget = %v, %v; want admitted", freeAt, err)
	}
	// A minute after the first attempt, one slot of the pair has left the window.
	if freeAt, err := s.Admit(ctx, now.Add(time.Minute+time.Second/2), time.Minute, limits[1:]); err != nil || !freeAt.IsZero() {
		t.Errorf("Admit a minute later = %v, %v; want admitted", freeAt, err)
	}
}
