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

// snapshotFormat is the version of the encoding of a stored bulletin (the JSON of stored). A change to
// the Bulletin type must bump it: rows of another format are not read back, and the service
// recomputes them.
const snapshotFormat = 2

// stored is a bulletin as kept: its rows as they are, its lists by column with dates as Unix seconds,
// which decodes several times faster than an object per item (the company's lists hold some 60,000
// items over 100,000 outlets, and their decoding is most of a stored company bulletin's read).
type stored struct {
	Date     time.Time
	Manager  string
	Figures  indicators.Row
	Company  indicators.Row
	Managers []indicators.Row
	Empty    emptyColumns
	Gaps     gapColumns
	Failed   failedColumns
	Low      lowColumns
}

type emptyColumns struct {
	Outlet, Name, Address, Manager, Phone, Status, Reason []string
	Missed                                                []int
	AtLeast                                               []bool
	Cycle, Total                                          []int64
}

type gapColumns struct {
	Outlet, Name, Manager []string
	Last                  []int64
}

type failedColumns struct {
	Order, Cycle, Total           []int64
	Outlet, Name, Manager, Reason []string
}

type lowColumns struct {
	Outlet, Name, Manager []string
	Balance, Paid, Cycle  []int64
}

// unix is t as Unix seconds, the zero time included; at is its inverse, in UTC.
func unix(t time.Time) int64 { return t.Unix() }

func at(sec int64) time.Time {
	if sec == (time.Time{}).Unix() {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}

func encode(b indicators.Bulletin) stored {
	s := stored{Date: b.Date, Manager: b.Manager, Figures: b.Figures, Company: b.Company, Managers: b.Managers}
	for _, e := range b.Lists.Empty {
		c := &s.Empty
		c.Outlet, c.Name, c.Address = append(c.Outlet, e.Outlet), append(c.Name, e.Name), append(c.Address, e.Address)
		c.Manager, c.Phone = append(c.Manager, e.Manager), append(c.Phone, e.ManagerPhone)
		c.Status, c.Reason = append(c.Status, e.LastStatus), append(c.Reason, e.LastReason)
		c.Missed, c.AtLeast = append(c.Missed, e.Missed), append(c.AtLeast, e.AtLeast)
		c.Cycle, c.Total = append(c.Cycle, unix(e.LastCycle)), append(c.Total, e.LastTotalCent)
	}
	for _, g := range b.Lists.UploadGaps {
		c := &s.Gaps
		c.Outlet, c.Name, c.Manager = append(c.Outlet, g.Outlet), append(c.Name, g.Name), append(c.Manager, g.Manager)
		c.Last = append(c.Last, unix(g.LastUpload))
	}
	for _, f := range b.Lists.Failed {
		c := &s.Failed
		c.Order, c.Cycle, c.Total = append(c.Order, f.Order), append(c.Cycle, unix(f.Cycle)), append(c.Total, f.TotalCents)
		c.Outlet, c.Name, c.Manager = append(c.Outlet, f.Outlet), append(c.Name, f.Name), append(c.Manager, f.Manager)
		c.Reason = append(c.Reason, f.Reason)
	}
	for _, l := range b.Lists.LowBalance {
		c := &s.Low
		c.Outlet, c.Name, c.Manager = append(c.Outlet, l.Outlet), append(c.Name, l.Name), append(c.Manager, l.Manager)
		c.Balance, c.Paid, c.Cycle = append(c.Balance, l.BalanceCents), append(c.Paid, l.LastPaidCents), append(c.Cycle, unix(l.LastCycle))
	}
	return s
}

// decode is encode's inverse; a list's columns of unequal length are an error.
func (s stored) decode() (indicators.Bulletin, error) {
	b := indicators.Bulletin{Date: s.Date, Manager: s.Manager, Figures: s.Figures, Company: s.Company, Managers: s.Managers}
	if b.Managers == nil {
		b.Managers = []indicators.Row{}
	}
	e, g, f, l := s.Empty, s.Gaps, s.Failed, s.Low
	if !same(len(e.Outlet), len(e.Name), len(e.Address), len(e.Manager), len(e.Phone), len(e.Status), len(e.Reason),
		len(e.Missed), len(e.AtLeast), len(e.Cycle), len(e.Total)) ||
		!same(len(g.Outlet), len(g.Name), len(g.Manager), len(g.Last)) ||
		!same(len(f.Order), len(f.Cycle), len(f.Total), len(f.Outlet), len(f.Name), len(f.Manager), len(f.Reason)) ||
		!same(len(l.Outlet), len(l.Name), len(l.Manager), len(l.Balance), len(l.Paid), len(l.Cycle)) {
		return indicators.Bulletin{}, errors.New("a list's columns differ in length")
	}
	b.Lists.Empty = make([]indicators.EmptyOrder, len(e.Outlet))
	for i := range b.Lists.Empty {
		b.Lists.Empty[i] = indicators.EmptyOrder{Outlet: e.Outlet[i], Name: e.Name[i], Address: e.Address[i], Manager: e.Manager[i],
			ManagerPhone: e.Phone[i], Missed: e.Missed[i], AtLeast: e.AtLeast[i], LastCycle: at(e.Cycle[i]),
			LastStatus: e.Status[i], LastReason: e.Reason[i], LastTotalCent: e.Total[i]}
	}
	b.Lists.UploadGaps = make([]indicators.UploadGap, len(g.Outlet))
	for i := range b.Lists.UploadGaps {
		b.Lists.UploadGaps[i] = indicators.UploadGap{Outlet: g.Outlet[i], Name: g.Name[i], Manager: g.Manager[i], LastUpload: at(g.Last[i])}
	}
	b.Lists.Failed = make([]indicators.FailedOrder, len(f.Order))
	for i := range b.Lists.Failed {
		b.Lists.Failed[i] = indicators.FailedOrder{Order: f.Order[i], Outlet: f.Outlet[i], Name: f.Name[i], Manager: f.Manager[i],
			Cycle: at(f.Cycle[i]), TotalCents: f.Total[i], Reason: f.Reason[i]}
	}
	b.Lists.LowBalance = make([]indicators.LowBalance, len(l.Outlet))
	for i := range b.Lists.LowBalance {
		b.Lists.LowBalance[i] = indicators.LowBalance{Outlet: l.Outlet[i], Name: l.Name[i], Manager: l.Manager[i],
			BalanceCents: l.Balance[i], LastPaidCents: l.Paid[i], LastCycle: at(l.Cycle[i])}
	}
	return b, nil
}

func same(n ...int) bool {
	for _, m := range n {
		if m != n[0] {
			return false
		}
	}
	return true
}

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
	var st stored
	if err := json.Unmarshal(body, &st); err != nil {
		return indicators.Bulletin{}, false, fmt.Errorf("postgresql: decode the stored bulletin of %s for %q: %w", date(day), manager, err)
	}
	b, err := st.decode()
	if err != nil {
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
		body, err := json.Marshal(encode(b))
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

// ForgetBulletins deletes the bulletins computed before then.
func (s *Store) ForgetBulletins(ctx context.Context, then time.Time) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM bulletin_snapshots WHERE computed_at < $1`, then); err != nil {
		return fmt.Errorf("postgresql: delete old bulletins: %w", err)
	}
	return nil
}
