package retailer_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/retailer"
	"github.com/ordercast/ordercast/retailer/postgres"
)

// countingCredentials counts Credentials calls: each is followed by exactly one password check.
type countingCredentials struct {
	retailer.CredentialStore
	calls atomic.Int64
}

func (c *countingCredentials) Credentials(ctx context.Context, username string) (retailer.Principal, string, error) {
	c.calls.Add(1)
	return c.CredentialStore.Credentials(ctx, username)
}

const ownerPassword = "the owner's password"

// loginFixture is Sessions on a fresh PostgreSQL database with the users ann and bob (password
// ownerPassword), its Credentials calls counted.
func loginFixture(t *testing.T, policy retailer.LoginPolicy) (*retailer.Sessions, *countingCredentials) {
	t.Helper()
	store := postgres.New(storestest.Postgres(t))
	hash, err := retailer.HashPassword(ownerPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ann", "bob"} {
		u := retailer.NewUser{Username: name, Password: ownerPassword, Role: retailer.RolePlanner}
		if _, err := store.AddUser(context.Background(), u, hash); err != nil {
			t.Fatal(err)
		}
	}
	creds := &countingCredentials{CredentialStore: store}
	s, err := retailer.NewSessions(creds, store, store, policy)
	if err != nil {
		t.Fatal(err)
	}
	return s, creds
}

// wantRetry checks that err is a refusal wrapping want with a Retry-After of at least a second.
func wantRetry(t *testing.T, what string, err, want error) {
	t.Helper()
	var re *retailer.RetryError
	if !errors.Is(err, want) || !errors.As(err, &re) || re.RetryAfter() < time.Second {
		t.Errorf("%s = %v; want %v with a Retry-After of at least 1s", what, err, want)
	}
}

// 60 guesses at one account from one client at once, the right password among them: the budget is
// taken before each check, so exactly PerAccountClient passwords are checked and the rest are
// refused with a Retry-After, however the requests interleave.
func TestLoginParallelGuessesAtOneAccount(t *testing.T) {
	policy := retailer.DefaultLoginPolicy()
	policy.Hashers = 64 // every admitted attempt gets a slot: this test is about the budget
	s, creds := loginFixture(t, policy)
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	errs := make([]error, 60)
	var wg sync.WaitGroup
	for i := range errs {
		password := fmt.Sprintf("guess %d", i)
		if i == 37 {
			password = ownerPassword
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Login(context.Background(), "ann", password, "198.51.100.1", now)
		}()
	}
	wg.Wait()
	refused := 0
	for i, err := range errs {
		if errors.Is(err, retailer.ErrTooManyAttempts) {
			refused++
			wantRetry(t, fmt.Sprintf("Login #%d", i), err, retailer.ErrTooManyAttempts)
		} else if err != nil && !errors.Is(err, retailer.ErrInvalidCredentials) {
			t.Errorf("Login #%d = %v; want a session, ErrInvalidCredentials or ErrTooManyAttempts", i, err)
		}
	}
	if n := creds.calls.Load(); n != int64(policy.PerAccountClient) || refused != len(errs)-policy.PerAccountClient {
		t.Errorf("60 parallel logins: %d passwords checked, %d refused; want %d checked, %d refused",
			n, refused, policy.PerAccountClient, len(errs)-policy.PerAccountClient)
	}
}

// One client spraying 100 usernames, known and unknown, is refused once its own budget is spent:
// unknown names cost the budget like known ones.
func TestLoginSprayFromOneClient(t *testing.T) {
	policy := retailer.DefaultLoginPolicy()
	s, creds := loginFixture(t, policy)
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for i := 0; i < 100; i++ {
		name := fmt.Sprintf("ghost%d", i)
		if i%10 == 0 {
			name = []string{"ann", "bob"}[i/10%2]
		}
		_, err := s.Login(context.Background(), name, "a guess", "203.0.113.66", now.Add(time.Duration(i)*100*time.Millisecond))
		switch {
		case i < policy.PerClient && !errors.Is(err, retailer.ErrInvalidCredentials):
			t.Fatalf("Login #%d (%s) = %v; want ErrInvalidCredentials within the client's budget", i, name, err)
		case i >= policy.PerClient:
			wantRetry(t, fmt.Sprintf("Login #%d (%s)", i, name), err, retailer.ErrTooManyAttempts)
		}
	}
	if n := creds.calls.Load(); n != int64(policy.PerClient) {
		t.Errorf("passwords checked for 100 sprayed names = %d; want %d", n, policy.PerClient)
	}
	// Another client is not refused.
	if _, err := s.Login(context.Background(), "ann", ownerPassword, "192.0.2.10", now.Add(11*time.Second)); err != nil {
		t.Errorf("Login from another client = %v; want a session", err)
	}
}

// An attacker's 50 failures at an account from one address lock that address out of the account,
// even with the right password, but not the owner logging in from another.
func TestLoginOwnerNotLockedOutByAttacker(t *testing.T) {
	s, creds := loginFixture(t, retailer.DefaultLoginPolicy())
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for i := 0; i < 50; i++ {
		_, err := s.Login(context.Background(), "ann", fmt.Sprintf("guess %d", i), "198.51.100.99", now.Add(time.Duration(i)*time.Second))
		if err == nil {
			t.Fatalf("attacker's login #%d succeeded", i)
		}
	}
	if n := creds.calls.Load(); n != retailer.MaxFailedLogins {
		t.Errorf("attacker's passwords checked = %d; want %d", n, retailer.MaxFailedLogins)
	}
	_, err := s.Login(context.Background(), "ann", ownerPassword, "198.51.100.99", now.Add(51*time.Second))
	wantRetry(t, "Login with the right password from the attacker's address", err, retailer.ErrTooManyAttempts)
	if _, err := s.Login(context.Background(), "ann", ownerPassword, "192.0.2.44", now.Add(52*time.Second)); err != nil {
		t.Errorf("owner's Login from another address = %v; want a session", err)
	}
}

// With two hashing slots, 20 concurrent logins (of 20 accounts from 20 addresses, so that no budget
// refuses them) never run more than two hashes at once: the two that hold the slots are held in
// their check until the other 18 have been answered, each with ErrBusy and a Retry-After.
func TestLoginHashingBounded(t *testing.T) {
	policy := retailer.DefaultLoginPolicy()
	policy.Hashers = 2
	policy.HashWait = 20 * time.Millisecond
	s, _ := loginFixture(t, policy)
	var running, most atomic.Int64
	release := make(chan struct{})
	retailer.SetPasswordCheck(s, func(encoded, password string) bool {
		n := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-release
		return retailer.PasswordMatches(encoded, password)
	})
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	results := make(chan error)
	for i := 0; i < 20; i++ {
		go func() {
			_, err := s.Login(context.Background(), fmt.Sprintf("user%d", i), "a guess", fmt.Sprintf("192.0.2.%d", i+1), now)
			results <- err
		}()
	}
	var errs []error
	for len(errs) < 18 {
		errs = append(errs, <-results)
	}
	close(release)
	errs = append(errs, <-results, <-results)
	busy := 0
	for _, err := range errs {
		if errors.Is(err, retailer.ErrBusy) {
			busy++
			wantRetry(t, "Login without a slot", err, retailer.ErrBusy)
		} else if !errors.Is(err, retailer.ErrInvalidCredentials) {
			t.Errorf("Login = %v; want ErrInvalidCredentials or ErrBusy", err)
		}
	}
	if m := most.Load(); m > 2 || busy != 18 {
		t.Errorf("20 concurrent logins with 2 slots: %d hashes at once at most, %d busy; want at most 2, 18 busy", m, busy)
	}
}
