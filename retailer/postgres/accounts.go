package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ordercast/ordercast/retailer"
)

var (
	_ retailer.CredentialStore = (*Store)(nil)
	_ retailer.SessionStore    = (*Store)(nil)
)

const principalColumns = `u.id, u.username, u.role, coalesce(u.outlet_id, 0), coalesce(u.manager_id, 0),
	coalesce(u.manufacturer_id, 0)`

func scanPrincipal(row pgx.Row, extra ...any) (retailer.Principal, error) {
	var p retailer.Principal
	var role string
	dest := append([]any{&p.UserID, &p.Username, &role, &p.OutletID, &p.ManagerID, &p.ManufacturerID}, extra...)
	err := row.Scan(dest...)
	p.Role = retailer.Role(role)
	return p, err
}

// Credentials implements retailer.CredentialStore.
func (s *Store) Credentials(ctx context.Context, username string) (retailer.Principal, string, error) {
	var hash string
	p, err := scanPrincipal(s.pool.QueryRow(ctx, `SELECT `+principalColumns+`, u.password_hash
		FROM users u WHERE lower(u.username) = lower($1) AND NOT u.disabled`, username), &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return retailer.Principal{}, "", retailer.ErrInvalidCredentials
	}
	if err != nil {
		return retailer.Principal{}, "", fmt.Errorf("postgresql: read credentials: %w", err)
	}
	return p, hash, nil
}

// FailedLogins implements retailer.CredentialStore.
func (s *Store) FailedLogins(ctx context.Context, username string, since time.Time) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM login_failures
		WHERE lower(username) = lower($1) AND failed_at > $2`, username, since).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgresql: count failed logins: %w", err)
	}
	return n, nil
}

// RecordFailedLogin implements retailer.CredentialStore. It also forgets the account's failures older
// than a day, so the table stays small.
func (s *Store) RecordFailedLogin(ctx context.Context, username string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `WITH old AS (
			DELETE FROM login_failures WHERE lower(username) = lower($1) AND failed_at < $2::timestamptz - interval '1 day')
		INSERT INTO login_failures (username, failed_at) VALUES ($1, $2)`, username, at)
	if err != nil {
		return fmt.Errorf("postgresql: record failed login: %w", err)
	}
	return nil
}

// CreateSession implements retailer.SessionStore.
func (s *Store) CreateSession(ctx context.Context, userID int64, tokenHash []byte, expires time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)`,
		tokenHash, userID, expires)
	if err != nil {
		return fmt.Errorf("postgresql: create session: %w", err)
	}
	return nil
}

// SessionPrincipal implements retailer.SessionStore.
func (s *Store) SessionPrincipal(ctx context.Context, tokenHash []byte, now time.Time) (retailer.Principal, error) {
	p, err := scanPrincipal(s.pool.QueryRow(ctx, `SELECT `+principalColumns+`
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.revoked_at IS NULL AND NOT u.disabled`, tokenHash, now))
	if errors.Is(err, pgx.ErrNoRows) {
		return retailer.Principal{}, fmt.Errorf("%w: unknown, expired or revoked token", retailer.ErrUnauthenticated)
	}
	if err != nil {
		return retailer.Principal{}, fmt.Errorf("postgresql: read session: %w", err)
	}
	return p, nil
}

// RevokeSession implements retailer.SessionStore.
func (s *Store) RevokeSession(ctx context.Context, tokenHash []byte, now time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL`,
		tokenHash, now)
	if err != nil {
		return fmt.Errorf("postgresql: revoke session: %w", err)
	}
	return nil
}

// AddUser creates a user from u (validated) and the hash of its password, resolving the outlet,
// manager or manufacturer code. It returns an error wrapping retailer.ErrUsernameTaken for a taken
// username and a *retailer.ValidationError for a code that names nothing.
func (s *Store) AddUser(ctx context.Context, u retailer.NewUser, passwordHash string) (retailer.Principal, error) {
	if err := u.Validate(); err != nil {
		return retailer.Principal{}, err
	}
	refs := []struct {
		field, code, query string
		id                 *int64
	}{
		{"outlet", u.Outlet, "SELECT id FROM outlets WHERE licence_no = $1", new(int64)},
		{"manager", u.Manager, "SELECT id FROM account_managers WHERE code = $1", new(int64)},
		{"manufacturer", u.Manufacturer, "SELECT id FROM manufacturers WHERE code = $1", new(int64)},
	}
	ids := make([]*int64, len(refs))
	for i, r := range refs {
		if r.code == "" {
			continue
		}
		err := s.pool.QueryRow(ctx, r.query, r.code).Scan(r.id)
		if errors.Is(err, pgx.ErrNoRows) {
			return retailer.Principal{}, &retailer.ValidationError{Fields: map[string]string{r.field: fmt.Sprintf("%q: no such %s", r.code, r.field)}}
		}
		if err != nil {
			return retailer.Principal{}, fmt.Errorf("postgresql: resolve %s: %w", r.field, err)
		}
		ids[i] = r.id
	}
	p, err := scanPrincipal(s.pool.QueryRow(ctx, `INSERT INTO users AS u (username, password_hash, role, outlet_id, manager_id, manufacturer_id)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+principalColumns,
		u.Username, passwordHash, string(u.Role), ids[0], ids[1], ids[2]))
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return retailer.Principal{}, fmt.Errorf("%w: %s", retailer.ErrUsernameTaken, u.Username)
	}
	if err != nil {
		return retailer.Principal{}, fmt.Errorf("postgresql: add user: %w", err)
	}
	return p, nil
}

// SetPassword replaces a user's password hash and revokes its sessions. It returns an error wrapping
// retailer.ErrNotFound for an unknown username.
func (s *Store) SetPassword(ctx context.Context, username, passwordHash string, now time.Time) error {
	return s.updateUser(ctx, username, now, "UPDATE users SET password_hash = $2 WHERE lower(username) = lower($1) RETURNING id", passwordHash)
}

// DisableUser disables a user and revokes its sessions. It returns an error wrapping
// retailer.ErrNotFound for an unknown username.
func (s *Store) DisableUser(ctx context.Context, username string, now time.Time) error {
	return s.updateUser(ctx, username, now, "UPDATE users SET disabled = true WHERE lower(username) = lower($1) RETURNING id")
}

func (s *Store) updateUser(ctx context.Context, username string, now time.Time, update string, args ...any) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, update, append([]any{username}, args...)...).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: user %s", retailer.ErrNotFound, username)
		}
		if err != nil {
			return fmt.Errorf("postgresql: update user: %w", err)
		}
		if _, err := tx.Exec(ctx, "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL", id, now); err != nil {
			return fmt.Errorf("postgresql: revoke sessions: %w", err)
		}
		return nil
	})
}

// EnsureRetailers makes sure that each of the first n active outlets (by id) has a retailer user named
// prefix followed by the outlet's licence number, creating the missing ones in one statement with
// passwordHash (a user that exists keeps its own), and returns their principals in outlet order. It is
// for load tests and demonstrations, which need many retailers at once: hashing a password per user
// (argon2id) would take minutes. A name taken by a user that is not the outlet's enabled retailer
// leaves that outlet out.
func (s *Store) EnsureRetailers(ctx context.Context, prefix string, n int, passwordHash string) ([]retailer.Principal, error) {
	rows, err := s.pool.Query(ctx, `WITH o AS (
			SELECT id, licence_no FROM outlets WHERE status = 'active' ORDER BY id LIMIT $2),
		added AS (
			INSERT INTO users AS u (username, password_hash, role, outlet_id)
			SELECT $1 || o.licence_no, $3, 'retailer', o.id FROM o ORDER BY o.id
			ON CONFLICT (lower(username)) DO NOTHING
			RETURNING `+principalColumns+`)
		SELECT * FROM added
		UNION ALL
		SELECT `+principalColumns+` FROM users u JOIN o ON lower(u.username) = lower($1 || o.licence_no)
			AND u.role = 'retailer' AND u.outlet_id = o.id AND NOT u.disabled
		ORDER BY 4`, prefix, n, passwordHash)
	if err != nil {
		return nil, fmt.Errorf("postgresql: ensure retailers: %w", err)
	}
	var out []retailer.Principal
	for rows.Next() {
		p, err := scanPrincipal(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("postgresql: ensure retailers: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgresql: ensure retailers: %w", err)
	}
	return out, nil
}
