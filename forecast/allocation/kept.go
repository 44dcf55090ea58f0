package allocation

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"time"
	"unsafe"
)

// Kept inputs. A preview over a province reads every outlet (100,000 rows) and every outlet's
// forecast of the brand; both change far less often than planners preview. KeptRoster keeps the
// outlets while their version holds (the source says, in one cheap query, whether anything changed),
// and KeptDemand keeps a forecast run's demand, which never changes once the run is visible. A
// preview computed from kept inputs is the one computed from fresh reads; publishing reads afresh all
// the same (Planner.PublishKept).

// RosterSource reads every outlet as an allocation sees it (forecast/postgres.Store), in the order of
// their licence numbers, with their Demand, Cap and Selected left zero. version changes whenever any
// outlet is added, removed or changed; when it equals have, outlets is nil (nothing changed). Safe
// for concurrent use.
type RosterSource interface {
	Roster(ctx context.Context, have string) (version string, outlets []Outlet, err error)
}

// KeptRoster keeps the outlets of Source read last, with their version. Safe for concurrent use.
type KeptRoster struct {
	Source RosterSource

	mu      sync.Mutex
	version string
	outlets []Outlet
}

// Outlets returns every outlet, read again only when Source's version changed. The slice is shared:
// callers must not change it.
func (k *KeptRoster) Outlets(ctx context.Context) ([]Outlet, error) {
	k.mu.Lock()
	have, kept := k.version, k.outlets
	k.mu.Unlock()
	version, outlets, err := k.Source.Roster(ctx, have)
	if err != nil {
		return nil, err
	}
	if outlets == nil && version == have && kept != nil {
		return kept, nil
	}
	if outlets == nil {
		outlets = []Outlet{}
	}
	k.mu.Lock()
	k.version, k.outlets = version, outlets
	k.mu.Unlock()
	return outlets, nil
}

// RunDemandSource names the forecast run covering a week apart from reading its demand
// (forecast/clickhouse.Store): RunCovering wraps forecast.ErrNoRun when there is none, and
// RunBrandDemand of a run always gives the same answer.
type RunDemandSource interface {
	DemandSource
	RunCovering(ctx context.Context, week time.Time) (string, error)
	RunBrandDemand(ctx context.Context, run, brand string, week time.Time) (map[string]float64, error)
}

// DefaultKeptDemand is how many brand-weeks of demand KeptDemand keeps when N is 0.
const DefaultKeptDemand = 8

// KeptDemand is a DemandSource that keeps the N brand-weeks of demand read last (DefaultKeptDemand
// when 0), by forecast run. The run covering a week is looked up again at every call, or, with
// RunAge, once the lookup is older than RunAge: a new run is then read within RunAge (publishing
// looks it up at once all the same, see Planner.PublishKept). A price band's demand is read through.
// Safe for concurrent use.
type KeptDemand struct {
	Source RunDemandSource
	N      int
	// RunAge is how long the run covering a week is kept once looked up; 0 looks it up every time.
	// ClickHouse answers the lookup in milliseconds when idle, but it waits behind the warmers' and
	// reports' long queries when busy (0.1–0.6 s of a preview's 0.5–0.8 s at load 50).
	RunAge time.Duration
	Now    func() time.Time // the clock of RunAge; nil is time.Now

	mu   sync.Mutex
	kept []keptDemand // the most recently used last
	runs map[time.Time]keptRun
}

type keptDemand struct {
	run, brand string
	week       time.Time
	demand     map[string]float64
}

// keptRun is the run covering a week, looked up at.
type keptRun struct {
	run string
	at  time.Time
}

var (
	_ DemandSource = (*KeptDemand)(nil)
	_ freshDemand  = (*KeptDemand)(nil)
)

// BrandDemand is Source's BrandDemand, from the kept demand of the run when it holds it. The map is
// shared: callers must not change it.
func (k *KeptDemand) BrandDemand(ctx context.Context, brand string, week time.Time) (map[string]float64, string, error) {
	return k.brandDemand(ctx, brand, week, false)
}

// FreshBrandDemand is BrandDemand with the run covering the week looked up whatever RunAge says (and
// kept): what a publication reads.
func (k *KeptDemand) FreshBrandDemand(ctx context.Context, brand string, week time.Time) (map[string]float64, string, error) {
	return k.brandDemand(ctx, brand, week, true)
}

// brandDemand is BrandDemand; fresh looks the run up whatever RunAge says (and keeps what it found).
func (k *KeptDemand) brandDemand(ctx context.Context, brand string, week time.Time, fresh bool) (map[string]float64, string, error) {
	run, err := k.runCovering(ctx, week, fresh)
	if err != nil {
		return nil, "", err
	}
	k.mu.Lock()
	for i, d := range k.kept {
		if d.run == run && d.brand == brand && d.week.Equal(week) {
			k.kept = append(append(k.kept[:i:i], k.kept[i+1:]...), d)
			k.mu.Unlock()
			return d.demand, run, nil
		}
	}
	k.mu.Unlock()
	demand, err := k.Source.RunBrandDemand(ctx, run, brand, week)
	if err != nil {
		return nil, "", fmt.Errorf("allocation: demand of %s in run %s: %w", brand, run, err)
	}
	n := k.N
	if n <= 0 {
		n = DefaultKeptDemand
	}
	k.mu.Lock()
	k.kept = append(k.kept, keptDemand{run: run, brand: brand, week: week, demand: demand})
	if len(k.kept) > n {
		k.kept = append([]keptDemand(nil), k.kept[len(k.kept)-n:]...)
	}
	k.mu.Unlock()
	return demand, run, nil
}

// runCovering is Source's RunCovering, kept RunAge unless fresh. Only runs found are kept: without
// one, the next call asks again.
func (k *KeptDemand) runCovering(ctx context.Context, week time.Time, fresh bool) (string, error) {
	now := time.Now
	if k.Now != nil {
		now = k.Now
	}
	week = week.UTC()
	if k.RunAge > 0 && !fresh {
		k.mu.Lock()
		r, ok := k.runs[week]
		k.mu.Unlock()
		if ok && now().Sub(r.at) < k.RunAge {
			return r.run, nil
		}
	}
	at := now()
	run, err := k.Source.RunCovering(ctx, week)
	if err != nil || k.RunAge <= 0 {
		return run, err
	}
	k.mu.Lock()
	if k.runs == nil {
		k.runs = map[time.Time]keptRun{}
	}
	for w, r := range k.runs { // the weeks planners preview are a handful; drop the stale ones
		if at.Sub(r.at) >= k.RunAge {
			delete(k.runs, w)
		}
	}
	k.runs[week] = keptRun{run: run, at: at}
	k.mu.Unlock()
	return run, nil
}

// BandDemand is Source's, read every time.
func (k *KeptDemand) BandDemand(ctx context.Context, priceClass int, week time.Time) (map[string]float64, string, error) {
	return k.Source.BandDemand(ctx, priceClass, week)
}

// linedInput keeps the allocation's outlets built from one list of kept outlets, one demand map and
// one cap: each outlet with its demand (0 when it has none, never negative) and the cap, and whether
// they passed validOutlets. Building and checking 100,000 outlets (15 MB copied, 100,000 map lookups,
// the duplicate check) cost a preview 20–100 ms under load; the kept outlets and the kept demand are
// the same slice and map from one preview to the next, recognised by their identity. Allocate never
// changes its input's outlets, so concurrent previews share them. Safe for concurrent use.
type linedInput struct {
	mu      sync.Mutex
	outlets *Outlet // the first of the outlets lined up to; nil for none
	n       int
	demand  unsafe.Pointer // the map lined up
	cap     int
	built   []Outlet
	valid   bool // built passed validOutlets
}

// of returns outlets with their demand and cap, and whether they were found valid before; kept when
// outlets, demand and cap are those of the last call. The slice is shared: callers must not change
// it.
func (l *linedInput) of(outlets []Outlet, demand map[string]float64, cap int) (built []Outlet, valid bool) {
	if len(outlets) == 0 {
		return nil, false
	}
	m := reflect.ValueOf(demand).UnsafePointer()
	l.mu.Lock()
	if l.outlets == &outlets[0] && l.n == len(outlets) && l.demand == m && l.cap == cap {
		built, valid = l.built, l.valid
		l.mu.Unlock()
		return built, valid
	}
	l.mu.Unlock()
	built = make([]Outlet, len(outlets))
	for i, o := range outlets {
		o.Demand, o.Cap = max(demand[o.ID], 0), cap
		built[i] = o
	}
	l.mu.Lock()
	l.outlets, l.n, l.demand, l.cap, l.built, l.valid = &outlets[0], len(outlets), m, cap, built, false
	l.mu.Unlock()
	return built, false
}

// validated records that built, returned by of, passed validOutlets.
func (l *linedInput) validated(built []Outlet) {
	l.mu.Lock()
	if len(built) > 0 && len(l.built) == len(built) && &l.built[0] == &built[0] {
		l.valid = true
	}
	l.mu.Unlock()
}
