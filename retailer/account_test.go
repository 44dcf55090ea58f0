package retailer

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNewUserValidate(t *testing.T) {
	tests := []struct {
		name       string
		u          NewUser
		wantFields []string
	}{
		{"retailer with outlet", NewUser{Username: "shop1", Password: "long enough", Role: RoleRetailer, Outlet: "L1"}, nil},
		{"planner", NewUser{Username: "plan", Password: "long enough", Role: RolePlanner}, nil},
		{"retailer without outlet", NewUser{Username: "shop1", Password: "long enough", Role: RoleRetailer}, []string{"outlet"}},
		{"planner with outlet", NewUser{Username: "plan", Password: "long enough", Role: RolePlanner, Outlet: "L1"}, []string{"outlet"}},
		{"manager without code", NewUser{Username: "mgr", Password: "long enough", Role: RoleManager}, []string{"manager"}},
		{"unknown role", NewUser{Username: "x1x", Password: "long enough", Role: "boss"}, []string{"role"}},
		{"short password and odd username", NewUser{Username: "a b", Password: "short", Role: RoleAdmin}, []string{"password", "username"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.u.Validate()
			var v *ValidationError
			if len(tt.wantFields) == 0 {
				if err != nil {
					t.Fatalf("Validate(%+v) = %v; want nil", tt.u, err)
				}
				return
			}
			if !errors.As(err, &v) {
				t.Fatalf("Validate(%+v) = %v; want a *ValidationError", tt.u, err)
			}
			for _, f := range tt.wantFields {
				if _, ok := v.FieldErrors()[f]; !ok {
					t.Errorf("Validate(%+v) fields = %v; want one for %q", tt.u, v.FieldErrors(), f)
				}
			}
			if len(v.FieldErrors()) != len(tt.wantFields) {
				t.Errorf("Validate(%+v) fields = %v; want exactly %v", tt.u, v.FieldErrors(), tt.wantFields)
			}
		})
	}
}

func TestPasswordHash(t *testing.T) {
	h1, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := HashPassword("correct horse")
	if h1 == h2 {
		t.Error("two hashes of one password are equal; want a fresh salt each time")
	}
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("HashPassword = %q; want the PHC argon2id format with its parameters", h1)
	}
	tests := []struct {
		name, hash, password string
		want                 bool
	}{
		{"right", h1, "correct horse", true},
		{"wrong", h1, "correct hors", false},
		{"empty", h1, "", false},
		{"malformed hash", "$argon2id$v=19$garbage", "correct horse", false},
		{"other algorithm", "$2a$10$abcdefghijklmnopqrstuu", "correct horse", false},
		{"absurd cost refused", "$argon2id$v=19$m=99999999,t=2,p=1$c2FsdA$aGFzaA", "x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PasswordMatches(tt.hash, tt.password); got != tt.want {
				t.Errorf("PasswordMatches(%q, %q) = %v; want %v", tt.hash, tt.password, got, tt.want)
			}
		})
	}
}

func TestTokens(t *testing.T) {
	tok, hash, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if !WellFormedToken(tok) || string(hash) != string(TokenHash(tok)) {
		t.Errorf("NewToken() = %q; want a well-formed token whose hash is TokenHash", tok)
	}
	for _, bad := range []string{"", "oc_", "Bearer x", tok[:len(tok)-1], "xx" + tok[2:], tok + "A", strings.Replace(tok, tok[5:6], "!", 1)} {
		if WellFormedToken(bad) {
			t.Errorf("WellFormedToken(%q) = true; want false", bad)
		}
	}
}

// fakeAccounts is an in-memory CredentialStore and SessionStore for the pure logic of Sessions.
type fakeAccounts struct {
	users    map[string]string      // username → hash
	failures map[string][]time.Time // username → failed logins
	sessions map[string]time.Time   // token hash → expiry
}

func (f *fakeAccounts) Credentials(_ context.Context, username string) (Principal, string, error) {
	h, ok := f.users[username]
	if !ok {
		return Principal{}, "", ErrInvalidCredentials
	}
	return Principal{UserID: 1, Username: username, Role: RolePlanner}, h, nil
}

func (f *fakeAccounts) FailedLogins(_ context.Context, username string, since time.Time) (int, error) {
	n := 0
	for _, at := range f.failures[username] {
		if at.After(since) {
			n++
		}
	}
	return n, nil
}

func (f *fakeAccounts) RecordFailedLogin(_ context.Context, username string, at time.Time) error {
	f.failures[username] = append(f.failures[username], at)
	return nil
}

func (f *fakeAccounts) CreateSession(_ context.Context, _ int64, hash []byte, expires time.Time) error {
	f.sessions[string(hash)] = expires
	return nil
}

func (f *fakeAccounts) SessionPrincipal(_ context.Context, hash []byte, now time.Time) (Principal, error) {
	if exp, ok := f.sessions[string(hash)]; ok && exp.After(now) {
		return Principal{UserID: 1, Role: RolePlanner}, nil
	}
	return Principal{}, ErrUnauthenticated
}

func (f *fakeAccounts) RevokeSession(_ context.Context, hash []byte, _ time.Time) error {
	delete(f.sessions, string(hash))
	return nil
}

func TestSessionsLoginLimitsAndLogout(t *testing.T) {
	ctx := context.Background()
	hash, _ := HashPassword("the password")
	store := &fakeAccounts{users: map[string]string{"ann": hash}, sessions: map[string]time.Time{},
		failures: map[string][]time.Time{}}
	s, err := NewSessions(store, store)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

	sess, err := s.Login(ctx, "ann", "the password", now)
	if err != nil || !WellFormedToken(sess.Token) || !sess.ExpiresAt.Equal(now.Add(SessionTTL)) {
		t.Fatalf("Login(right password) = %+v, %v; want a session of %s", sess, err, SessionTTL)
	}
	if _, err := s.Authenticate(ctx, sess.Token, now.Add(time.Minute)); err != nil {
		t.Errorf("Authenticate(live token) = %v", err)
	}
	if _, err := s.Authenticate(ctx, sess.Token, now.Add(SessionTTL+time.Second)); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("Authenticate(expired token) = %v; want ErrUnauthenticated", err)
	}
	if _, err := s.Authenticate(ctx, "oc_garbage", now); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("Authenticate(malformed) = %v; want ErrUnauthenticated", err)
	}
	if err := s.Logout(ctx, sess.Token, now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, sess.Token, now); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("Authenticate(revoked) = %v; want ErrUnauthenticated", err)
	}

	// An unknown username is refused like a wrong password, and its failures count too.
	if _, err := s.Login(ctx, "nobody", "whatever", now); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("Login(unknown user) = %v; want ErrInvalidCredentials", err)
	}
	if n, _ := store.FailedLogins(ctx, "nobody", now.Add(-time.Minute)); n != 1 {
		t.Errorf("failures recorded for an unknown user = %d; want 1", n)
	}
	// After MaxFailedLogins failures within a minute the account is refused even with the right
	// password; other accounts are not; a minute later it is accepted again.
	for i := 0; i < MaxFailedLogins; i++ {
		if _, err := s.Login(ctx, "ann", "wrong", now.Add(time.Duration(i)*time.Second)); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("failed login %d = %v; want ErrInvalidCredentials", i+1, err)
		}
	}
	if _, err := s.Login(ctx, "ann", "the password", now.Add(20*time.Second)); !errors.Is(err, ErrTooManyAttempts) {
		t.Errorf("login after %d failures = %v; want ErrTooManyAttempts", MaxFailedLogins, err)
	}
	if _, err := s.Login(ctx, "ann", "the password", now.Add(LoginWindow+10*time.Second)); err != nil {
		t.Errorf("login a minute later = %v; want success", err)
	}
}
