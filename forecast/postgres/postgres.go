// Package postgres is the forecast domain's PostgreSQL adapter: the allocation previews a planner
// pages through, confirms and publishes (table allocation_previews, migration 0014), and every
// outlet as an allocation reads it (Roster).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordercast/ordercast/forecast/allocation"
)

// previewFormat is the version of allocation.EncodePlan's encoding; a change to what a Plan keeps must
// bump it, and rows of another format read as expired. 2: warnings as codes with parameters; 3: the
// limits column by column.
const previewFormat = 3

// Store keeps allocation previews in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
}

var _ allocation.PreviewStore = (*Store)(nil)

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// ReservePreview records that the preview id is being kept until expires, with an empty body until
// KeepPreview stores it (Preview answers allocation.ErrPreviewPending meanwhile), and deletes the
// previews that expired. A preview already kept under id is left as it is.
func (s *Store) ReservePreview(ctx context.Context, id string, week time.Time, expires time.Time) error {
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM allocation_previews WHERE expires_at < now()`)
	b.Queue(`INSERT INTO allocation_previews (id, week_start, format, expires_at, body) VALUES ($1, $2, $3, $4, '')
		ON CONFLICT (id) DO NOTHING`, id, week, previewFormat, expires)
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("postgresql: reserve allocation preview %s: %w", id, err)
	}
	return nil
}

// KeepPreview stores a preview until expires, and deletes the previews that expired before it.
func (s *Store) KeepPreview(ctx context.Context, id string, week time.Time, body []byte, expires time.Time) error {
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM allocation_previews WHERE expires_at < now()`)
	b.Queue(`INSERT INTO allocation_previews (id, week_start, format, expires_at, body) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET week_start = EXCLUDED.week_start, format = EXCLUDED.format,
			expires_at = EXCLUDED.expires_at, body = EXCLUDED.body`, id, week, previewFormat, expires, body)
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("postgresql: keep allocation preview %s: %w", id, err)
	}
	return nil
}

// DropPreview deletes the preview of id, kept or reserved.
func (s *Store) DropPreview(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM allocation_previews WHERE id = $1`, id); err != nil {
		return fmt.Errorf("postgresql: drop allocation preview %s: %w", id, err)
	}
	return nil
}

// Preview returns the preview kept under id that has not expired at now, allocation.ErrPreviewPending
// while it is reserved and not yet kept, or allocation.ErrNoPreview.
func (s *Store) Preview(ctx context.Context, id string, now time.Time) ([]byte, error) {
	var body []byte
	err := s.pool.QueryRow(ctx, `SELECT body FROM allocation_previews WHERE id = $1 AND format = $2 AND expires_at > $3`,
		id, previewFormat, now).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: %q", allocation.ErrNoPreview, id)
	}
	if err != nil {
		return nil, fmt.Errorf("postgresql: read allocation preview %s: %w", id, err)
	}
	if len(body) == 0 {
		return nil, fmt.Errorf("%w: %q", allocation.ErrPreviewPending, id)
	}
	return body, nil
}
