package retailer

import (
	"context"
	"errors"
	"testing"
	"time"
)

// countingSessions counts the session lookups that reach the store.
type countingSessions struct {
	*fakeAccounts
	lookups int
}

func (c *countingSessions) SessionPrincipal(ctx context.Context, hash []byte, now time.Time) (Principal, error) {
	c.lookups++
	return c.fakeAccounts.SessionPrincipal(ctx, hash, now)
}

func TestAuthenticateTrustsACheckedSessionForItsTTL(t *testing.T) {
	ctx := context.Background()
	hash, _ := HashPassword("the password")
	accounts := &fakeAccounts{users: map[string]string{"ann": hash}, sessions: map[string]time.Time{}, attempts: map[string][]time.Time{}}
	store := &countingSessions{fakeAccounts: accounts}
	s, err := NewSessions(accounts, store, accounts, DefaultLoginPolicy())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	login := func() string {
		t.Helper()
		sess, err := s.Login(ctx, "ann", "the password", "203.0.113.9", now)
		if err != nil {
			t.Fatal(err)
		}
		return sess.Token
	}
	authenticate := func(token string, at time.Duration) error {
		_, err := s.Authenticate(ctx, token, now.Add(at))
		return err
	}

	token := login()
	for _, at := range []time.Duration{0, time.Second, SessionCacheTTL - time.Millisecond} {
		if err := authenticate(token, at); err != nil {
			t.Fatalf("Authenticate at +%v = %v", at, err)
		}
	}
	if store.lookups != 1 {
		t.Errorf("%d store lookups for 3 checks within %v; want 1", store.lookups, SessionCacheTTL)
	}
	if err := authenticate(token, SessionCacheTTL); err != nil || store.lookups != 2 {
		t.Errorf("Authenticate after the TTL = %v with %d lookups; want the store asked again (2)", err, store.lookups)
	}

	// Revoked elsewhere (another instance, the user command): honoured once the TTL has passed.
	accounts.RevokeSession(ctx, TokenHash(token), now) //nolint:errcheck // the fake does not fail
	if err := authenticate(token, SessionCacheTTL+time.Second); err != nil {
		t.Errorf("Authenticate of a session revoked elsewhere, within the TTL = %v; want it still trusted (the stated bound)", err)
	}
	if err := authenticate(token, 2*SessionCacheTTL); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("Authenticate of a session revoked elsewhere, after the TTL = %v; want ErrUnauthenticated", err)
	}

	// Logged out through these Sessions: refused at once.
	token = login()
	if err := authenticate(token, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Logout(ctx, token, now); err != nil {
		t.Fatal(err)
	}
	if err := authenticate(token, time.Millisecond); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("Authenticate right after Logout = %v; want ErrUnauthenticated", err)
	}

	// A refused token is asked about every time: it may be a session not yet committed elsewhere.
	before := store.lookups
	unknown, _, _ := NewToken()
	for range 2 {
		if err := authenticate(unknown, 0); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("Authenticate(unknown) = %v; want ErrUnauthenticated", err)
		}
	}
	if store.lookups != before+2 {
		t.Errorf("%d lookups for 2 checks of an unknown token; want 2", store.lookups-before)
	}
}

func TestSessionCache(t *testing.T) {
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	p := Principal{UserID: 7, Role: RoleRetailer, OutletID: 3}
	h := func(b byte) [32]byte { return [32]byte{b} }

	t.Run("a check that began before a logout does not put the session back", func(t *testing.T) {
		c := newSessionCache(time.Minute, 10)
		c.put(h(1), p, now)
		c.end(h(1), now)
		c.put(h(1), p, now.Add(time.Second))
		if got, ok := c.get(h(1), now.Add(time.Second)); ok {
			t.Errorf("get after end and a late put = %+v; want a miss", got)
		}
		c.put(h(1), p, now.Add(time.Minute))
		if got, ok := c.get(h(1), now.Add(time.Minute)); !ok || got != p {
			t.Errorf("get after the logout's TTL and a new put = %+v, %v; want %+v", got, ok, p)
		}
	})
	t.Run("bounded", func(t *testing.T) {
		c := newSessionCache(time.Minute, 2)
		for b := range byte(5) {
			c.put(h(b), p, now)
			if len(c.entries) > 2 {
				t.Fatalf("%d entries after %d puts; want at most 2", len(c.entries), b+1)
			}
		}
		if got, ok := c.get(h(4), now); !ok || got != p {
			t.Errorf("get of the last put = %+v, %v; want %+v", got, ok, p)
		}
	})
	t.Run("expired entries go first", func(t *testing.T) {
		c := newSessionCache(time.Minute, 2)
		c.put(h(1), p, now)
		c.put(h(2), p, now.Add(50*time.Second))
		c.put(h(3), p, now.Add(70*time.Second)) // h(1) expired: h(2) stays
		if _, ok := c.get(h(2), now.Add(70*time.Second)); !ok {
			t.Error("an unexpired entry was dropped while an expired one could go")
		}
	})
}
