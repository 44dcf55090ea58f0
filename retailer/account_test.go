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

// fakeAccounts is an in-memory CredentialStore, LoginThrottle and SessionStore for the pure logic of
// Sessions. It is not safe for concurrent use.
type fakeAccounts struct {
	users    map[string]string      // username → hash
	attempts map[string][]time.Time // throttle key → admitted attempts
	sessions map[string]time.Time   // token hash → expiry
}

func (f *fakeAccounts) Credentials(_ context.Context, username string) (Principal, string, error) {
	h, ok := f.users[username]
	if !ok {
		return Principal{}, "", ErrInvalidCredentials
	}
	return Principal{UserID: 1, Username: username, Role: RolePlanner}, h, nil
}

func (f *fakeAccounts) Admit(_ context.Context, now time.Time, window time.Duration, limits []Limit) (time.Time, error) {
	var freeAt time.Time
	for _, l := range limits {
		var live []time.Time
		for _, at := range f.attempts[l.Key] {
			if at.After(now.Add(-window)) {
				live = append(live, at)
			}
		}
		if len(live) < l.Max {
			live = append(live, now)
		} else if at := live[len(live)-l.Max].Add(window); at.After(freeAt) {
			freeAt = at
		}
		f.attempts[l.Key] = live
	}
	return freeAt, nil
}

func (f *fakeAccounts) Forget(_ context.Context, at time.Time, keys []string) error {
	for _, k := range keys {
		for i, a := range f.attempts[k] {
			if a.Equal(at) {
				f.attempts[k] = append(f.attempts[k][:i], f.attempts[k][i+1:]...)
				break
			}
		}
	}
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
		attempts: map[string][]time.Time{}}
	s, err := NewSessions(store, store, store, DefaultLoginPolicy())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

	sess, err := s.Login(ctx, "ann", "the password", "203.0.113.9", now)
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
	if _, err := s.Login(ctx, "nobody", "whatever", "192.0.2.1", now); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("Login(unknown user) = %v; want ErrInvalidCredentials", err)
	}
	if n := len(store.attempts["account nobody"]); n != 1 {
		t.Errorf("failures recorded for an unknown user = %d; want 1", n)
	}
	if n := len(store.attempts["account ann"]); n != 0 {
		t.Errorf("attempts kept after a successful login = %d; want 0 (given back)", n)
	}
	// After MaxFailedLogins failures within a minute from one client the account is refused to that
	// client even with the right password, with the time until the oldest failure leaves the window;
	// another client is not refused; a minute later the first is accepted again.
	for i := 0; i < MaxFailedLogins; i++ {
		if _, err := s.Login(ctx, "ann", "wrong", "192.0.2.1", now.Add(time.Duration(i)*time.Second)); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("failed login %d = %v; want ErrInvalidCredentials", i+1, err)
		}
	}
	_, err = s.Login(ctx, "ann", "the password", "192.0.2.1", now.Add(20*time.Second))
	var re *RetryError
	if !errors.Is(err, ErrTooManyAttempts) || !errors.As(err, &re) || re.RetryAfter() != 40*time.Second {
		t.Errorf("login after %d failures = %v; want ErrTooManyAttempts, retry after 40s", MaxFailedLogins, err)
	}
	if _, err := s.Login(ctx, "ann", "the password", "198.51.100.7", now.Add(21*time.Second)); err != nil {
		t.Errorf("login from another client = %v; want success", err)
	}
	if _, err := s.Login(ctx, "ann", "the password", "192.0.2.1", now.Add(LoginWindow+10*time.Second)); err != nil {
		t.Errorf("login a minute later = %v; want success", err)
	}
}
