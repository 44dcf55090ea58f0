package indicators

import (
	"context"
	"fmt"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"
)

// UploadLookback is how far back the upload-gap list looks for an outlet's last upload.
const UploadLookback = 90 * 24 * time.Hour

// UploadGap is a collection point without a valid upload in the period.
type UploadGap struct {
	Outlet     string
	Name       string
	Manager    string
	LastUpload time.Time // zero: none within UploadLookback
}

// Lists are the bulletin's lists for the account manager to follow up.
type Lists struct {
	Empty      []EmptyOrder
	UploadGaps []UploadGap
	Failed     []FailedOrder
	LowBalance []LowBalance
}

// Bulletin is a day's figures, each over its cadence (the day, its week, its month): for an account
// manager its own row ranked among its peers with the company's to compare, for a planner the
// company's row and every manager's; and the lists of the scope.
type Bulletin struct {
	Date     time.Time
	Manager  string // "" for the company view
	Figures  Row    // the manager's row, or the company's
	Company  Row
	Managers []Row // every manager's row, for the company view; empty for a manager
	Lists    Lists
	// ComputedAt is when the figures and lists were computed: a bulletin served from a snapshot
	// (see Service.Snapshots) is as old as now − ComputedAt, at most Service.MaxAge.
	ComputedAt time.Time
}

// computeBulletin computes the bulletin of day for manager ("" for the company view) from the stores.
func (s *Service) computeBulletin(ctx context.Context, day Period, manager string) (Bulletin, error) {
	b := Bulletin{Date: day.Start, Manager: manager, Managers: []Row{}, ComputedAt: s.now()}
	var rep Report
	var lists Lists
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		rep, err = s.Report(gctx, Query{Period: day, Level: AtManager, Manager: manager, Cadence: true})
		return err
	})
	g.Go(func() (err error) { lists, err = s.lists(gctx, day, manager, false); return err })
	if err := g.Wait(); err != nil {
		return Bulletin{}, err
	}
	lists.Empty = rep.Empty // the report's, as of the same day
	b.Company, b.Lists = rep.Company, lists
	if manager == "" {
		b.Figures, b.Managers = rep.Company, rep.Rows
		return b, nil
	}
	i := slices.IndexFunc(rep.Rows, func(r Row) bool { return r.Key == manager })
	if i < 0 {
		return Bulletin{}, fmt.Errorf("%w: %q", ErrUnknownManager, manager)
	}
	b.Figures = rep.Rows[i]
	return b, nil
}

// Lists reads the lists of a day for manager ("" for every outlet): outlets 2+ cycles without an
// order as of the day, collection points without an upload on the day, orders failed on the day, and
// outlets whose balance would not pay their last order again.
func (s *Service) Lists(ctx context.Context, day Period, manager string) (Lists, error) {
	return s.lists(ctx, day, manager, true)
}

// lists reads the lists, the empty-order list only when empty is set.
func (s *Service) lists(ctx context.Context, day Period, manager string, empty bool) (Lists, error) {
	outlets, _, err := s.Directory.Directory(ctx)
	if err != nil {
		return Lists{}, err
	}
	var scope []string
	if manager != "" {
		scope = managedBy(outlets, manager)
	}
	var l Lists
	var last map[string]time.Time
	g, gctx := errgroup.WithContext(ctx)
	if empty {
		g.Go(func() (err error) {
			l.Empty, err = s.Orders.EmptyOrders(gctx, day.End.AddDate(0, 0, -1), EmptyMinMissed, EmptyHorizon, scope)
			return err
		})
	}
	g.Go(func() (err error) {
		last, err = s.History.LastUploads(gctx, day.End.Add(-UploadLookback), day.End, scope)
		return err
	})
	g.Go(func() (err error) { l.Failed, err = s.Orders.FailedOrders(gctx, day, scope); return err })
	g.Go(func() (err error) {
		l.LowBalance, err = s.Orders.LowBalances(gctx, day.Start, EmptyHorizon, scope)
		return err
	})
	if err := g.Wait(); err != nil {
		return Lists{}, err
	}
	l.UploadGaps = UploadGaps(outlets, manager, day, last)
	return l, nil
}

// UploadGaps lists the active collection points of manager ("" for all) with no upload in p, given
// each outlet's last upload before p's end.
func UploadGaps(outlets []Outlet, manager string, p Period, last map[string]time.Time) []UploadGap {
	out := []UploadGap{}
	for _, o := range outlets {
		if !o.CollectionPoint || !o.activeIn(p) || (manager != "" && o.Manager != manager) {
			continue
		}
		at, ok := last[o.Licence]
		if ok && !at.Before(p.Start) {
			continue
		}
		out = append(out, UploadGap{Outlet: o.Licence, Name: o.Name, Manager: o.Manager, LastUpload: at})
	}
	return out
}
