package retailer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"time"
)

// CredentialStore is what Sessions needs to check a login. Implementations are safe for concurrent use.
type CredentialStore interface {
	// Credentials returns the principal and password hash of the enabled user whose username matches
	// (case-insensitively), or an error wrapping ErrInvalidCredentials when there is none.
	Credentials(ctx context.Context, username string) (Principal, string, error)
}

// Limit is one throttle key and the most attempts it admits within a window.
type Limit struct {
	Key string
	Max int
}

// LoginThrottle counts login attempts in rolling windows. Implementations are safe for concurrent
// use, and atomic across every process that shares the store: two concurrent Admits of one key are
// serialised, so a key never admits more than its Max attempts within a window.
type LoginThrottle interface {
	// Admit records an attempt at now under each limit's key that admitted fewer than its Max attempts
	// in (now-window, now], each key on its own. It returns the zero time when every key admitted the
	// attempt, otherwise the latest time at which a refusing key admits again.
	Admit(ctx context.Context, now time.Time, window time.Duration, limits []Limit) (freeAt time.Time, err error)
	// Forget takes back one attempt recorded at at under each key, if there is one.
	Forget(ctx context.Context, at time.Time, keys []string) error
}

// SessionStore keeps sessions under the hash of their token. Implementations are safe for
// concurrent use.
type SessionStore interface {
	// CreateSession stores a session of the user that expires at expires.
	CreateSession(ctx context.Context, userID int64, tokenHash []byte, expires time.Time) error
	// SessionPrincipal returns the principal of the session with that token hash if it is neither
	// expired at now nor revoked and its user is enabled, or an error wrapping ErrUnauthenticated.
	SessionPrincipal(ctx context.Context, tokenHash []byte, now time.Time) (Principal, error)
	// RevokeSession ends the session with that token hash at now.
	RevokeSession(ctx context.Context, tokenHash []byte, now time.Time) error
}

// SessionExpirer deletes sessions that ended (expired or revoked) before a time, and says how many
// (retailer/postgres.Store).
type SessionExpirer interface {
	DeleteEndedSessions(ctx context.Context, before time.Time) (int64, error)
}

// SessionRetention is how long a session is kept once it has ended: long enough to answer who was
// logged in last month, short enough that the table holds a month of logins, not all of them.
const SessionRetention = 30 * 24 * time.Hour

// SessionCleanup deletes sessions that ended more than SessionRetention ago: every login adds one,
// and an ended session authenticates nothing.
type SessionCleanup struct {
	Store SessionExpirer
	Log   *slog.Logger
}

// Pass deletes the sessions that ended SessionRetention before now, logging how many.
func (j *SessionCleanup) Pass(ctx context.Context, now time.Time) error {
	n, err := j.Store.DeleteEndedSessions(ctx, now.Add(-SessionRetention))
	if err != nil {
		return fmt.Errorf("delete ended sessions: %w", err)
	}
	if n > 0 {
		j.Log.Info("deleted ended sessions", "sessions", n)
	}
	return nil
}

// Session is a logged-in session: the bearer token is shown once, here, and never stored.
type Session struct {
	Token     string
	ExpiresAt time.Time
	Principal Principal
}

// LoginPolicy bounds password checks. Every budget counts attempts (checks about to happen), taken
// atomically before the password is checked, over a rolling Window. A successful login gives its
// attempt back to the client's and the account's budgets (so users behind one address, and an
// account's owner, are not held back by their own logins) but not to the (account, client) pair's,
// so that one client never has more than PerAccountClient checks of one account in a window:
//
//   - PerAccountClient: attempts at one account from one client address. This is the budget an
//     attacker guessing one account from one address exhausts; the owner logging in from elsewhere
//     has a budget of their own, so the attacker cannot lock them out.
//   - PerAccount: a larger ceiling on attempts at one account from every client together, so that
//     guessing from many addresses is bounded too. Only attempts a client's own budgets admitted
//     count here, so one address alone cannot reach it.
//   - PerClient: attempts from one client address at every account together, so that spraying
//     many usernames (known or not: unknown names are throttled exactly like known ones) is bounded.
//
// Hashers bounds the argon2id hashes running at once (each holds about 19 MiB); a login that cannot
// get a slot within HashWait is refused with ErrBusy, and its attempt is given back.
type LoginPolicy struct {
	Window           time.Duration
	PerAccountClient int
	PerAccount       int
	PerClient        int
	Hashers          int
	HashWait         time.Duration
}

// DefaultLoginPolicy returns the policy of a server: MaxFailedLogins per account and client within
// LoginWindow, ten times that per account, three times that per client address, and 2×GOMAXPROCS
// hashes at once with a wait of a quarter of a second.
func DefaultLoginPolicy() LoginPolicy {
	return LoginPolicy{
		Window:           LoginWindow,
		PerAccountClient: MaxFailedLogins,
		PerAccount:       10 * MaxFailedLogins,
		PerClient:        3 * MaxFailedLogins,
		Hashers:          2 * runtime.GOMAXPROCS(0),
		HashWait:         250 * time.Millisecond,
	}
}

// Validate checks that every bound is positive.
func (p LoginPolicy) Validate() error {
	if p.Window <= 0 || p.PerAccountClient <= 0 || p.PerAccount <= 0 || p.PerClient <= 0 || p.Hashers <= 0 || p.HashWait < 0 {
		return fmt.Errorf("retailer: login policy %+v: every bound must be positive", p)
	}
	return nil
}

// RetryError is a refusal that says when to try again: it wraps ErrTooManyAttempts or ErrBusy.
type RetryError struct {
	Err   error         // ErrTooManyAttempts or ErrBusy
	After time.Duration // until the refusing budget or a hashing slot frees, at least a second
}

func (e *RetryError) Error() string {
	return fmt.Sprintf("%v (retry after %s)", e.Err, e.After)
}

// Unwrap makes errors.Is(err, e.Err) true.
func (e *RetryError) Unwrap() error { return e.Err }

// RetryAfter is how long the client should wait, for a Retry-After header.
func (e *RetryError) RetryAfter() time.Duration { return e.After }

// Detail says when to retry, for the API's users.
func (e *RetryError) Detail() string {
	secs := int64((e.After + time.Second - 1) / time.Second)
	if errors.Is(e.Err, ErrBusy) {
		return fmt.Sprintf("too many logins in progress; try again in %d s", secs)
	}
	return fmt.Sprintf("too many login attempts from this address or for this account; try again in %d s", secs)
}

func retryAfter(err error, d time.Duration) error {
	if d < time.Second {
		d = time.Second
	}
	return &RetryError{Err: err, After: d}
}

// Sessions logs users in and out and authenticates bearer tokens.
type Sessions struct {
	creds    CredentialStore
	sessions SessionStore
	throttle LoginThrottle
	policy   LoginPolicy
	hashing  chan struct{} // a slot per hash allowed at once
	// check compares a password with its hash: PasswordMatches, or an instrumented one in tests.
	check func(encoded, password string) bool
	// dummyHash is checked against when the username is unknown, so that a login takes as long
	// whether or not the user exists.
	dummyHash string
	// cache remembers sessions checked in the store for SessionCacheTTL.
	cache *sessionCache
}

// NewSessions returns a Sessions on the stores that logs in under policy.
func NewSessions(creds CredentialStore, sessions SessionStore, throttle LoginThrottle, policy LoginPolicy) (*Sessions, error) {
	if err := policy.Validate(); err != nil {
		return nil, err
	}
	dummy, err := HashPassword("not a password of anyone")
	if err != nil {
		return nil, err
	}
	return &Sessions{creds: creds, sessions: sessions, throttle: throttle, policy: policy,
		hashing: make(chan struct{}, policy.Hashers), check: PasswordMatches, dummyHash: dummy,
		cache: newSessionCache(SessionCacheTTL, sessionCacheSize)}, nil
}

// loginKeys returns the throttle keys of an attempt: the client's, the (account, client) pair's and
// the account's. Usernames match case-insensitively, so their keys are lower-cased; a name longer than
// any username is cut, which only merges names that cannot exist.
func loginKeys(username, client string) (clientKey, pairKey, accountKey string) {
	name := strings.ToLower(username)
	if len(name) > 128 {
		name = name[:128]
	}
	return "client " + client, "pair " + name + " " + client, "account " + name
}

// Login checks username and password, from the client address client, at now and opens a session of
// SessionTTL. It returns a *RetryError wrapping ErrTooManyAttempts when a budget of the policy is
// spent (the password is then not checked) or ErrBusy when no hashing slot freed in time, and an
// error wrapping ErrInvalidCredentials for an unknown or disabled user or a wrong password.
func (s *Sessions) Login(ctx context.Context, username, password, client string, now time.Time) (Session, error) {
	username = strings.TrimSpace(username)
	clientKey, pairKey, accountKey := loginKeys(username, client)
	p := s.policy
	// The client's own budgets first, then the account's ceiling with what they admitted.
	freeAt, err := s.throttle.Admit(ctx, now, p.Window, []Limit{{clientKey, p.PerClient}, {pairKey, p.PerAccountClient}})
	if err != nil {
		return Session{}, fmt.Errorf("login: %w", err)
	}
	if !freeAt.IsZero() {
		return Session{}, retryAfter(ErrTooManyAttempts, freeAt.Sub(now))
	}
	if freeAt, err = s.throttle.Admit(ctx, now, p.Window, []Limit{{accountKey, p.PerAccount}}); err != nil {
		return Session{}, fmt.Errorf("login: %w", err)
	}
	if !freeAt.IsZero() {
		return Session{}, retryAfter(ErrTooManyAttempts, freeAt.Sub(now))
	}
	giveBack := func(keys ...string) error {
		// Without the caller's context: a request cancelled before its check still gives back.
		return s.throttle.Forget(context.WithoutCancel(ctx), now, keys)
	}
	if err := s.acquire(ctx); err != nil { // not checked: every budget gets the attempt back
		return Session{}, errors.Join(err, giveBack(clientKey, pairKey, accountKey))
	}
	defer func() { <-s.hashing }()

	principal, hash, err := s.creds.Credentials(ctx, username)
	switch {
	case errors.Is(err, ErrInvalidCredentials):
		s.check(s.dummyHash, password)
		return Session{}, ErrInvalidCredentials
	case err != nil:
		return Session{}, errors.Join(fmt.Errorf("login: %w", err), giveBack(clientKey, pairKey, accountKey))
	case !s.check(hash, password):
		return Session{}, ErrInvalidCredentials
	}
	if err := giveBack(clientKey, accountKey); err != nil {
		return Session{}, fmt.Errorf("login: %w", err)
	}
	token, tokenHash, err := NewToken()
	if err != nil {
		return Session{}, err
	}
	expires := now.Add(SessionTTL)
	if err := s.sessions.CreateSession(ctx, principal.UserID, tokenHash, expires); err != nil {
		return Session{}, fmt.Errorf("login: %w", err)
	}
	return Session{Token: token, ExpiresAt: expires, Principal: principal}, nil
}

// acquire takes a hashing slot, waiting at most the policy's HashWait.
func (s *Sessions) acquire(ctx context.Context) error {
	select {
	case s.hashing <- struct{}{}:
		return nil
	default:
	}
	wait := time.NewTimer(s.policy.HashWait)
	defer wait.Stop()
	select {
	case s.hashing <- struct{}{}:
		return nil
	case <-wait.C:
		return retryAfter(ErrBusy, time.Second)
	case <-ctx.Done():
		return fmt.Errorf("login: %w", ctx.Err())
	}
}

// Authenticate returns the principal of a live session's token, or an error wrapping
// ErrUnauthenticated. A session found live in the store is trusted for SessionCacheTTL without asking
// the store again (see SessionCacheTTL for what that bounds); a token refused is asked about every time.
func (s *Sessions) Authenticate(ctx context.Context, token string, now time.Time) (Principal, error) {
	if !WellFormedToken(token) {
		return Principal{}, fmt.Errorf("%w: malformed token", ErrUnauthenticated)
	}
	hash := TokenHash(token)
	key := [32]byte(hash)
	if p, ok := s.cache.get(key, now); ok {
		return p, nil
	}
	p, err := s.sessions.SessionPrincipal(ctx, hash, now)
	if err != nil {
		return Principal{}, err
	}
	s.cache.put(key, p, now)
	return p, nil
}

// Logout revokes the session of token at now; this Sessions no longer authenticates it from then on.
func (s *Sessions) Logout(ctx context.Context, token string, now time.Time) error {
	if !WellFormedToken(token) {
		return fmt.Errorf("%w: malformed token", ErrUnauthenticated)
	}
	hash := TokenHash(token)
	s.cache.end([32]byte(hash), now)
	return s.sessions.RevokeSession(ctx, hash, now)
}
