package retailer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CredentialStore is what Sessions needs to check a login. Implementations are safe for concurrent use.
type CredentialStore interface {
	// Credentials returns the principal and password hash of the enabled user whose username matches
	// (case-insensitively), or an error wrapping ErrInvalidCredentials when there is none.
	Credentials(ctx context.Context, username string) (Principal, string, error)
	// FailedLogins counts the failed logins recorded for username since the given time.
	FailedLogins(ctx context.Context, username string, since time.Time) (int, error)
	// RecordFailedLogin records a failed login for username at the given time.
	RecordFailedLogin(ctx context.Context, username string, at time.Time) error
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

// Session is a logged-in session: the bearer token is shown once, here, and never stored.
type Session struct {
	Token     string
	ExpiresAt time.Time
	Principal Principal
}

// Sessions logs users in and out and authenticates bearer tokens.
type Sessions struct {
	creds    CredentialStore
	sessions SessionStore
	// dummyHash is checked against when the username is unknown, so that a login takes as long
	// whether or not the user exists.
	dummyHash string
}

// NewSessions returns a Sessions on the two stores.
func NewSessions(creds CredentialStore, sessions SessionStore) (*Sessions, error) {
	dummy, err := HashPassword("not a password of anyone")
	if err != nil {
		return nil, err
	}
	return &Sessions{creds: creds, sessions: sessions, dummyHash: dummy}, nil
}

// Login checks username and password at now and opens a session of SessionTTL. It returns an error
// wrapping ErrTooManyAttempts when the account had MaxFailedLogins failed logins within LoginWindow,
// and one wrapping ErrInvalidCredentials for an unknown or disabled user or a wrong password.
func (s *Sessions) Login(ctx context.Context, username, password string, now time.Time) (Session, error) {
	username = strings.TrimSpace(username)
	failed, err := s.creds.FailedLogins(ctx, username, now.Add(-LoginWindow))
	if err != nil {
		return Session{}, fmt.Errorf("login: %w", err)
	}
	if failed >= MaxFailedLogins {
		return Session{}, ErrTooManyAttempts
	}
	p, hash, err := s.creds.Credentials(ctx, username)
	switch {
	case errors.Is(err, ErrInvalidCredentials):
		PasswordMatches(s.dummyHash, password)
	case err != nil:
		return Session{}, fmt.Errorf("login: %w", err)
	case PasswordMatches(hash, password):
		token, tokenHash, err := NewToken()
		if err != nil {
			return Session{}, err
		}
		expires := now.Add(SessionTTL)
		if err := s.sessions.CreateSession(ctx, p.UserID, tokenHash, expires); err != nil {
			return Session{}, fmt.Errorf("login: %w", err)
		}
		return Session{Token: token, ExpiresAt: expires, Principal: p}, nil
	}
	if err := s.creds.RecordFailedLogin(ctx, username, now); err != nil {
		return Session{}, fmt.Errorf("login: %w", err)
	}
	return Session{}, ErrInvalidCredentials
}

// Authenticate returns the principal of a live session's token, or an error wrapping
// ErrUnauthenticated.
func (s *Sessions) Authenticate(ctx context.Context, token string, now time.Time) (Principal, error) {
	if !WellFormedToken(token) {
		return Principal{}, fmt.Errorf("%w: malformed token", ErrUnauthenticated)
	}
	return s.sessions.SessionPrincipal(ctx, TokenHash(token), now)
}

// Logout revokes the session of token at now.
func (s *Sessions) Logout(ctx context.Context, token string, now time.Time) error {
	if !WellFormedToken(token) {
		return fmt.Errorf("%w: malformed token", ErrUnauthenticated)
	}
	return s.sessions.RevokeSession(ctx, TokenHash(token), now)
}
