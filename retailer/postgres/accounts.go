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
	_ retailer.LoginThrottle   = (*Store)(nil)
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

// Credentials implements retailer.CredentialStore. A retailer may log in with its outlet's licence
// number in place of its user name: a user of that name comes first, then the outlet's first
// retailer user.
func (s *Store) Credentials(ctx context.Context, username string) (retailer.Principal, string, error) {
	var hash string
	p, err := scanPrincipal(s.pool.QueryRow(ctx, `SELECT `+principalColumns+`, u.password_hash
		FROM users u WHERE NOT u.disabled AND (lower(u.username) = lower($1)
			OR (u.role = 'retailer' AND u.outlet_id = (SELECT id FROM outlets WHERE licence_no = $1)))
		ORDER BY lower(u.username) = lower($1) DESC, u.id LIMIT 1`, username), &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return retailer.Principal{}, "", retailer.ErrInvalidCredentials
	}
	if err != nil {
		return retailer.Principal{}, "", fmt.Errorf("postgresql: read credentials: %w", err)
	}
	return p, hash, nil
}

// Admit implements retailer.LoginThrottle. The keys are upserted in one statement, in key order (so
// that two Admits never wait on each other's rows in a cycle); ON CONFLICT DO UPDATE locks each
// key's row and computes its new attempts from the row as last committed, so concurrent attempts on
// one key are counted one after the other. It also deletes the keys idle for a window.
func (s *Store) Admit(ctx context.Context, now time.Time, window time.Duration, limits []retailer.Limit) (time.Time, error) {
	keys := make([]string, len(limits))
	maxes := make([]int32, len(limits))
	for i, l := range limits {
		keys[i], maxes[i] = l.Key, int32(l.Max)
	}
	since := now.Add(-window)
	rows, err := s.pool.Query(ctx, `INSERT INTO login_attempts AS l (key, attempts, max_attempts, admitted, last_at)
		SELECT k, ARRAY[$3::timestamptz], m, true, $3 FROM unnest($1::text[], $2::int[]) AS t(k, m) ORDER BY k
		ON CONFLICT (key) DO UPDATE SET
			attempts = CASE WHEN cardinality(ARRAY(SELECT a FROM unnest(l.attempts) a WHERE a > $4)) < excluded.max_attempts
				THEN ARRAY(SELECT a FROM unnest(l.attempts) a WHERE a > $4 ORDER BY a) || $3::timestamptz
				ELSE ARRAY(SELECT a FROM unnest(l.attempts) a WHERE a > $4 ORDER BY a) END,
			admitted = cardinality(ARRAY(SELECT a FROM unnest(l.attempts) a WHERE a > $4)) < excluded.max_attempts,
			max_attempts = excluded.max_attempts,
			last_at = greatest(l.last_at, $3)
		RETURNING admitted, attempts[greatest(cardinality(attempts) - max_attempts + 1, 1)]`,
		keys, maxes, now, since)
	if err != nil {
		return time.Time{}, fmt.Errorf("postgresql: count login attempt: %w", err)
	}
	var freeAt time.Time
	var admitted bool
	var oldest time.Time
	_, err = pgx.ForEachRow(rows, []any{&admitted, &oldest}, func() error {
		// A refusing key admits again when the oldest attempt that keeps it full leaves the window.
		if at := oldest.Add(window); !admitted && at.After(freeAt) {
			freeAt = at
		}
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("postgresql: count login attempt: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM login_attempts WHERE key IN (
		SELECT key FROM login_attempts WHERE last_at <= $1 ORDER BY key FOR UPDATE SKIP LOCKED)`, since); err != nil {
		return time.Time{}, fmt.Errorf("postgresql: prune login attempts: %w", err)
	}
	return freeAt, nil
}

// Forget implements retailer.LoginThrottle.
func (s *Store) Forget(ctx context.Context, at time.Time, keys []string) error {
	// The rows are locked in key order, as Admit locks them.
	_, err := s.pool.Exec(ctx, `UPDATE login_attempts l
		SET attempts = l.attempts[:array_position(l.attempts, $2::timestamptz) - 1] || l.attempts[array_position(l.attempts, $2::timestamptz) + 1:]
		FROM (SELECT key FROM login_attempts WHERE key = ANY($1) ORDER BY key FOR UPDATE) k
		WHERE l.key = k.key AND array_position(l.attempts, $2::timestamptz) IS NOT NULL`, keys, at)
	if err != nil {
		return fmt.Errorf("postgresql: give back login attempt: %w", err)
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

// DeleteEndedSessions deletes the sessions that expired or were revoked before before, and returns
// how many (retailer.SessionCleanup).
func (s *Store) DeleteEndedSessions(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("postgresql: delete ended sessions: %w", err)
	}
	return tag.RowsAffected(), nil
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
