package indicators

import (
	"context"
	"fmt"
	"time"
)

// DefaultMaxAge is how old a stored bulletin may be when served, unless Service.MaxAge says otherwise.
// The serve job refreshes today's and yesterday's bulletins more often than that (RefreshEvery).
const DefaultMaxAge = 15 * time.Minute

// RefreshEvery is how often `ordercast serve` recomputes and stores today's and yesterday's
// bulletins, well within DefaultMaxAge even when a refresh takes a minute.
const RefreshEvery = 5 * time.Minute

// BulletinStore keeps computed bulletins (PostgreSQL bulletin_snapshots): a cache of the
// computation, never a fact.
type BulletinStore interface {
	// StoredBulletin returns the bulletin of day for manager ("" for the company view) as last
	// stored, with its ComputedAt; found is false when none is stored or it cannot be read back (an
	// older format).
	StoredBulletin(ctx context.Context, day time.Time, manager string) (b Bulletin, found bool, err error)
	// StoreBulletins replaces every bulletin stored for day with bs, in one transaction.
	StoreBulletins(ctx context.Context, day time.Time, bs []Bulletin) error
	// ForgetBulletins deletes the bulletins computed before then.
	ForgetBulletins(ctx context.Context, then time.Time) error
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) maxAge() time.Duration {
	if s.MaxAge > 0 {
		return s.MaxAge
	}
	return DefaultMaxAge
}

// Bulletin returns the bulletin of date for manager ("" for the company view). With Snapshots set it
// serves the stored bulletin while it is at most MaxAge old, and otherwise computes the day's
// bulletins for the company and every manager at once, stores them and serves the one asked for
// (concurrent requests for the same day share one computation). Without Snapshots it computes the
// one asked for on every call. Either way ComputedAt says how fresh it is.
func (s *Service) Bulletin(ctx context.Context, date time.Time, manager string) (Bulletin, error) {
	day, err := PeriodOf(Day, date)
	if err != nil {
		return Bulletin{}, err
	}
	if s.Snapshots == nil {
		return s.computeBulletin(ctx, day, manager)
	}
	b, found, err := s.Snapshots.StoredBulletin(ctx, day.Start, manager)
	if err != nil {
		return Bulletin{}, err
	}
	if found && s.now().Sub(b.ComputedAt) <= s.maxAge() {
		return s.withTargets(ctx, b)
	}
	v, err := s.refresh(ctx, day.Start, true)
	if err != nil {
		return Bulletin{}, err
	}
	if bs, ok := v.([]Bulletin); ok {
		for _, b := range bs {
			if b.Manager == manager {
				return b, nil
			}
		}
		return Bulletin{}, fmt.Errorf("%w: %q", ErrUnknownManager, manager)
	}
	b, found, err = s.Snapshots.StoredBulletin(ctx, day.Start, manager)
	if err != nil {
		return Bulletin{}, err
	}
	if !found {
		return Bulletin{}, fmt.Errorf("%w: %q", ErrUnknownManager, manager)
	}
	return s.withTargets(ctx, b)
}

// withTargets sets every value of a stored bulletin beside the targets as they are now, so that a
// target a planner sets shows at once: only the facts are as old as the bulletin.
func (s *Service) withTargets(ctx context.Context, b Bulletin) (Bulletin, error) {
	targets, err := s.Targets.Targets(ctx)
	if err != nil {
		return Bulletin{}, err
	}
	var managers []AccountManager
	for _, r := range append([]Row{b.Figures}, b.Managers...) {
		if r.Level == AtManager {
			managers = append(managers, AccountManager{Code: r.Key, Area: r.Area})
		}
	}
	tb := newTargetBook(targets, managers)
	retarget := func(r *Row) {
		for i := range r.Values {
			v := &r.Values[i]
			v.Target, v.Gap, v.Met = nil, nil, nil
			if spec, ok := SpecOf(v.Indicator); ok {
				tb.apply(v, spec, r.Level, r)
			}
		}
	}
	retarget(&b.Figures)
	retarget(&b.Company)
	for i := range b.Managers {
		retarget(&b.Managers[i])
	}
	return b, nil
}

// RefreshBulletins computes the bulletins of date for the company and for every account manager in
// one pass over the stores, stores them when Snapshots is set, and returns them, the company's
// first. Each manager's is the company's computation kept to its row and to its outlets' lists, so it
// is the same bulletin as one computed for the manager alone.
func (s *Service) RefreshBulletins(ctx context.Context, date time.Time) ([]Bulletin, error) {
	day, err := PeriodOf(Day, date)
	if err != nil {
		return nil, err
	}
	company, err := s.computeBulletin(ctx, day, "")
	if err != nil {
		return nil, err
	}
	out := []Bulletin{company}
	for _, r := range company.Managers {
		out = append(out, Bulletin{Date: company.Date, Manager: r.Key, Figures: r, Company: company.Company,
			Managers: []Row{}, Lists: company.Lists.of(r.Key), ComputedAt: company.ComputedAt})
	}
	if s.Snapshots != nil {
		if err := s.Snapshots.StoreBulletins(ctx, day.Start, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// refresh computes and stores day's bulletins once however many callers ask at the same time (the
// scheduled job and requests alike), on a context none of them can cancel for the others. With
// reuse, a fresh stored bulletin found first is kept (v nil).
func (s *Service) refresh(ctx context.Context, day time.Time, reuse bool) (any, error) {
	ctx, cancel := detached(ctx, s.Life)
	defer cancel()
	v, err, _ := s.refreshing.Do(day.Format(time.DateOnly), func() (any, error) {
		if reuse { // a request that waited for another's refresh may find it stored already
			if b, found, err := s.Snapshots.StoredBulletin(ctx, day, ""); err == nil && found &&
				s.now().Sub(b.ComputedAt) <= s.maxAge() {
				return nil, nil
			}
		}
		return s.RefreshBulletins(ctx, day)
	})
	return v, err
}

// RefreshRecent refreshes the stored bulletins of now's day (its calendar day in its location: the
// region's, as the bulletin's default date) and the day before, and deletes those of any day older
// than MaxAge, which would never be served again: the `ordercast serve` job, every RefreshEvery.
func (s *Service) RefreshRecent(ctx context.Context, now time.Time) error {
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	for _, d := range []time.Time{today, today.AddDate(0, 0, -1)} {
		if _, err := s.refresh(ctx, d, false); err != nil {
			return fmt.Errorf("refresh the bulletin of %s: %w", d.Format(time.DateOnly), err)
		}
	}
	if s.Snapshots != nil {
		if err := s.Snapshots.ForgetBulletins(ctx, s.now().Add(-s.maxAge())); err != nil {
			return err
		}
	}
	return nil
}

// of keeps the items of manager's outlets, in the same order.
func (l Lists) of(manager string) Lists {
	return Lists{
		Empty:      keep(l.Empty, func(e EmptyOrder) bool { return e.Manager == manager }),
		UploadGaps: keep(l.UploadGaps, func(g UploadGap) bool { return g.Manager == manager }),
		Failed:     keep(l.Failed, func(f FailedOrder) bool { return f.Manager == manager }),
		LowBalance: keep(l.LowBalance, func(b LowBalance) bool { return b.Manager == manager }),
	}
}

func keep[T any](items []T, ok func(T) bool) []T {
	out := []T{}
	for _, it := range items {
		if ok(it) {
			out = append(out, it)
		}
	}
	return out
}
