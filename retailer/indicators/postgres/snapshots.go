package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordercast/ordercast/retailer/indicators"
)

var _ indicators.BulletinStore = (*Store)(nil)

// snapshotFormat is the version of the encoding of a stored bulletin (the JSON of indicators.Bulletin
// as encoding/json writes it). A change to the Bulletin type must bump it: rows of another format
// are not read back, and the service recomputes them.
const snapshotFormat = 1

// StoredBulletin returns the bulletin of day for manager as last stored.
func (s *Store) StoredBulletin(ctx context.Context, day time.Time, manager string) (indicators.Bulletin, bool, error) {
	var body []byte
	var at time.Time
	err := s.pool.QueryRow(ctx, `SELECT body, computed_at FROM bulletin_snapshots
		WHERE day = $1::date AND manager = $2 AND format = $3`, date(day), manager, snapshotFormat).Scan(&body, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return indicators.Bulletin{}, false, nil
	}
	if err != nil {
		return indicators.Bulletin{}, false, fmt.Errorf("postgresql: read a stored bulletin: %w", err)
	}
	var b indicators.Bulletin
	if err := json.Unmarshal(body, &b); err != nil {
		return indicators.Bulletin{}, false, fmt.Errorf("postgresql: decode the stored bulletin of %s for %q: %w", date(day), manager, err)
	}
	b.ComputedAt = at
	return b, true, nil
}

// StoreBulletins replaces the bulletins stored for day with bs.
func (s *Store) StoreBulletins(ctx context.Context, day time.Time, bs []indicators.Bulletin) error {
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	rows := make([][]any, 0, len(bs))
	for _, b := range bs {
		body, err := json.Marshal(b)
		if err != nil {
			return fmt.Errorf("postgresql: encode the bulletin of %s for %q: %w", date(day), b.Manager, err)
		}
		rows = append(rows, []any{day, b.Manager, int16(snapshotFormat), b.ComputedAt, body})
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Two instances refreshing the same day take turns instead of colliding on the key.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('bulletin_snapshots ' || $1))`, date(day)); err != nil {
			return fmt.Errorf("postgresql: replace stored bulletins: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM bulletin_snapshots WHERE day = $1::date`, date(day)); err != nil {
			return fmt.Errorf("postgresql: replace stored bulletins: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"bulletin_snapshots"}, []string{"day", "manager", "format", "computed_at", "body"},
			pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("postgresql: store bulletins: %w", err)
		}
		return nil
	})
}
