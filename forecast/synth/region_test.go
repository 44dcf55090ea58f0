package synth

import (
	"errors"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/retailer"
)

// testNow is a fixed "now": the history runs from late 2024 to mid-November 2026 and holds the
// Spring Festivals of 2025 and 2026.
var testNow = time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)

func testConfig(seed uint64) Config {
	return Config{Outlets: 400, Brands: 60, Weeks: 104, Seed: seed, Now: testNow}
}

// generated is a region with all its histories collected, shared by the property tests.
type generated struct {
	region  *Region
	hist    []*History
	listing [][]int // brands each outlet carries
}

var (
	fixtureOnce sync.Once
	fixture     generated
	fixtureErr  error
)

func testRegion(t *testing.T) generated {
	t.Helper()
	fixtureOnce.Do(func() {
		r, err := New(testConfig(1))
		if err != nil {
			fixtureErr = err
			return
		}
		fixture.region = r
		src := &rand.PCG{}
		rng := rand.New(src)
		for i := range r.Outlets {
			fixture.hist = append(fixture.hist, r.History(i))
			var p profile
			r.profile(i, src, rng, &p)
			fixture.listing = append(fixture.listing, p.listed)
		}
	})
	if fixtureErr != nil {
		t.Fatalf("New(%+v): %v", testConfig(1), fixtureErr)
	}
	return fixture
}

func TestRegionRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr error // nil: any error
	}{
		{"no outlets", func(c *Config) { c.Outlets = 0 }, ErrInvalidConfig},
		{"too few brands", func(c *Config) { c.Brands = MinBrands - 1 }, ErrInvalidConfig},
		{"too few weeks", func(c *Config) { c.Weeks = MinWeeks - 1 }, ErrInvalidConfig},
		{"too many weeks", func(c *Config) { c.Weeks = MaxWeeks + 1 }, ErrInvalidConfig},
		{"no now", func(c *Config) { c.Now = time.Time{} }, ErrInvalidConfig},
		{"beyond the festival table", func(c *Config) { c.Now = time.Date(2036, 6, 1, 0, 0, 0, 0, time.UTC) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(1)
			tt.edit(&cfg)
			_, err := New(cfg)
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Errorf("New(%+v) error = %v; want %v", cfg, err, tt.wantErr)
			}
		})
	}
}

func TestRegionMasterData(t *testing.T) {
	g := testRegion(t)
	r := g.region
	if got, want := r.Start, time.Date(2024, 11, 18, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Start = %s; want %s", got, want)
	}
	if got, want := r.End(), forecast.Monday(testNow); !got.Equal(want) {
		t.Errorf("End = %s; want %s", got, want)
	}
	if len(r.Outlets) != 400 || len(r.Brands) != 60 {
		t.Fatalf("got %d outlets and %d brands; want 400 and 60", len(r.Outlets), len(r.Brands))
	}

	managers := map[string]int{}
	for _, m := range r.Managers {
		managers[m.Code] = 0
	}
	licences := map[string]bool{}
	grades := make([]int, retailer.MaxGrade+1)
	for _, o := range r.Outlets {
		if licences[o.Licence] {
			t.Errorf("licence %s repeats", o.Licence)
		}
		licences[o.Licence] = true
		if _, ok := managers[o.Manager]; !ok {
			t.Errorf("outlet %s: manager %q is not in Managers", o.Licence, o.Manager)
		}
		managers[o.Manager]++
		if o.Grade < retailer.MinGrade || o.Grade > retailer.MaxGrade {
			t.Errorf("outlet %s: grade %d out of range", o.Licence, o.Grade)
		}
		grades[o.Grade]++
		if o.OrderDay < time.Monday || o.OrderDay > time.Friday {
			t.Errorf("outlet %s: order day %s; want Monday to Friday", o.Licence, o.OrderDay)
		}
		if o.BalanceCents <= 0 {
			t.Errorf("outlet %s: balance %d; want an opening deposit", o.Licence, o.BalanceCents)
		}
	}
	if len(managers) < 400/150 {
		t.Errorf("%d managers for 400 outlets; want at least one per 150", len(managers))
	}
	// Olive-shaped: the middle third of the grades holds most outlets, the extremes few.
	low, middle, high := 0, 0, 0
	for g, n := range grades {
		switch {
		case g >= 1 && g <= 8:
			low += n
		case g >= 11 && g <= 20:
			middle += n
		case g >= 23:
			high += n
		}
	}
	if middle < 2*low || middle < 2*high {
		t.Errorf("grades 1–8: %d, 11–20: %d, 23–30: %d outlets; want the middle to dominate", low, middle, high)
	}

	scarce, newProducts := 0, 0
	mfrs := map[string]bool{}
	for _, m := range r.Manufacturers {
		mfrs[m.Code] = true
	}
	for _, b := range r.Brands {
		if !mfrs[b.Manufacturer] {
			t.Errorf("brand %s: manufacturer %q unknown", b.Code, b.Manufacturer)
		}
		if b.PriceClass < 1 || b.PriceClass > 5 || b.WholesaleCents <= 0 || b.RetailCents <= b.WholesaleCents {
			t.Errorf("brand %s: class %d, wholesale %d, retail %d", b.Code, b.PriceClass, b.WholesaleCents, b.RetailCents)
		}
		if b.Scarce {
			scarce++
		}
		if b.NewProduct {
			newProducts++
			if b.LaunchDate.Before(r.Start) || !b.LaunchDate.Before(r.End()) {
				t.Errorf("new brand %s launched %s, outside the history", b.Code, b.LaunchDate)
			}
		} else if !b.LaunchDate.IsZero() {
			t.Errorf("brand %s: launch date %s without being new", b.Code, b.LaunchDate)
		}
	}
	if scarce != 6 || newProducts != 3 {
		t.Errorf("%d scarce and %d new brands of 60; want 6 and 3", scarce, newProducts)
	}
}

// Account managers look after about 150 outlets each, in one area.
func TestRegionManagers(t *testing.T) {
	cfg := testConfig(1)
	cfg.Outlets = DefaultOutlets
	r, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	areas := map[string]string{}
	for _, m := range r.Managers {
		areas[m.Code] = m.Area
	}
	count := map[string]int{}
	for _, o := range r.Outlets {
		count[o.Manager]++
		if areas[o.Manager] != o.Area {
			t.Errorf("outlet %s in %s has manager %s of %s", o.Licence, o.Area, o.Manager, areas[o.Manager])
		}
	}
	for code, n := range count {
		if n < 75 || n > 300 {
			t.Errorf("manager %s looks after %d outlets; want about 150", code, n)
		}
	}
	if mean := float64(len(r.Outlets)) / float64(len(r.Managers)); mean < 110 || mean > 220 {
		t.Errorf("%.0f outlets per manager; want about 150", mean)
	}
}

// The same seed gives the same region; another seed a different one; Each yields what History does.
func TestRegionDeterminism(t *testing.T) {
	digest := func(cfg Config) (uint64, *Region) {
		r, err := New(cfg)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		h := fnv.New64a()
		err = r.Each(func(hist *History) error {
			for _, s := range hist.Sales {
				writeHash(h, s.Day.Unix(), s.Outlet, s.Brand, s.Requested, s.Granted, s.Delivered, s.Limit, s.Limited)
			}
			for _, d := range hist.Demand {
				writeHash(h, d.Week.Unix(), d.Outlet, d.Brand, d.Demand)
			}
			for _, b := range hist.Scans {
				writeHash(h, b.ID, b.Received.Unix(), len(b.Rows), len(b.Rejects))
				for _, row := range b.Rows {
					writeHash(h, row.Brand, string(row.Kind), row.At.Unix(), row.Qty)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Each: %v", err)
		}
		return h.Sum64(), r
	}
	cfg := testConfig(42)
	cfg.Outlets = 80
	a, ra := digest(cfg)
	b, rb := digest(cfg)
	if a != b {
		t.Errorf("two regions of seed 42 differ: %x and %x", a, b)
	}
	if !reflect.DeepEqual(ra.Outlets, rb.Outlets) || !reflect.DeepEqual(ra.Brands, rb.Brands) ||
		!reflect.DeepEqual(ra.Managers, rb.Managers) || !reflect.DeepEqual(ra.Manufacturers, rb.Manufacturers) {
		t.Errorf("two regions of seed 42 have different master data")
	}
	cfg.Seed = 43
	if c, _ := digest(cfg); c == a {
		t.Errorf("seeds 42 and 43 give the same region")
	}

	// Each and History agree, whatever the order outlets are generated in.
	var viaEach []string
	_ = ra.Each(func(h *History) error {
		viaEach = append(viaEach, historyKey(h))
		return nil
	})
	for _, i := range []int{79, 3, 40, 0} {
		if got := historyKey(ra.History(i)); got != viaEach[i] {
			t.Errorf("History(%d) differs from what Each yielded", i)
		}
	}
}

func writeHash(h interface{ Write([]byte) (int, error) }, vals ...any) {
	for _, v := range vals {
		var b []byte
		switch v := v.(type) {
		case string:
			b = []byte(v)
		case int64:
			b = []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24), byte(v >> 32), byte(v >> 40)}
		case int:
			b = []byte{byte(v), byte(v >> 8), byte(v >> 16)}
		case float64:
			u := math.Float64bits(v)
			b = []byte{byte(u), byte(u >> 8), byte(u >> 16), byte(u >> 24), byte(u >> 32), byte(u >> 40), byte(u >> 48), byte(u >> 56)}
		case bool:
			b = []byte{0}
			if v {
				b[0] = 1
			}
		}
		h.Write(b)
		h.Write([]byte{0xff})
	}
}

func historyKey(hist *History) string {
	h := fnv.New64a()
	for _, s := range hist.Sales {
		writeHash(h, s.Day.Unix(), s.Brand, s.Requested, s.Granted)
	}
	for _, d := range hist.Demand {
		writeHash(h, d.Week.Unix(), d.Brand, d.Demand)
	}
	for _, b := range hist.Scans {
		writeHash(h, b.ID, len(b.Rows), len(b.Rejects))
	}
	return string(h.Sum(nil))
}

// Every line is whole cartons, granted within requested, delivered within granted, on the outlet's
// order day inside the history.
func TestRegionSalesInvariants(t *testing.T) {
	g := testRegion(t)
	r := g.region
	for _, h := range g.hist {
		for _, s := range h.Sales {
			bad := s.Requested <= 0 || s.Granted < 0 || s.Granted > s.Requested || s.Delivered != s.Granted ||
				s.Requested != math.Trunc(s.Requested) || s.Granted != math.Trunc(s.Granted) ||
				(s.Limited && (s.Granted >= s.Requested || s.Granted != s.Limit))
			if bad {
				t.Fatalf("outlet %s: bad line %+v", h.Outlet.Licence, s)
			}
			if s.Day.Weekday() != h.Outlet.OrderDay || s.Day.Before(r.Start) || !s.Day.Before(r.End()) {
				t.Fatalf("outlet %s (order day %s): line on %s", h.Outlet.Licence, h.Outlet.OrderDay, s.Day)
			}
		}
		for _, d := range h.Demand {
			if d.Demand <= 0 || d.Demand != math.Trunc(d.Demand) || d.Week.Weekday() != time.Monday {
				t.Fatalf("outlet %s: bad demand point %+v", h.Outlet.Licence, d)
			}
		}
		if h.Outlet.Status == retailer.Closed {
			closedAt := r.Week(r.outlets[h.Index].closeWeek)
			for _, d := range h.Demand {
				if !d.Week.Before(closedAt) {
					t.Fatalf("closed outlet %s: demand in %s after closing in %s", h.Outlet.Licence, d.Week, closedAt)
				}
			}
		}
	}
}

// The weeks before the Spring Festival sell more than the year's average week.
func TestRegionSpringFestivalPeak(t *testing.T) {
	g := testRegion(t)
	r := g.region
	weekly := make([]float64, r.Weeks)
	for _, h := range g.hist {
		for _, d := range h.Demand {
			weekly[int(d.Week.Sub(r.Start).Hours()/24/7)] += d.Demand
		}
	}
	for _, year := range []int{2025, 2026} {
		t.Run("spring festival "+time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006"), func(t *testing.T) {
			sf, _ := SpringFestival(year)
			sfWeek := int(forecast.Monday(sf).Sub(r.Start).Hours() / 24 / 7)
			pre := (weekly[sfWeek-1] + weekly[sfWeek-2] + weekly[sfWeek-3]) / 3
			lo, hi := max(0, sfWeek-26), min(r.Weeks, sfWeek+26)
			avg := 0.0
			for _, v := range weekly[lo:hi] {
				avg += v
			}
			avg /= float64(hi - lo)
			if pre < 1.3*avg {
				t.Errorf("the 3 weeks before %s average %.0f cartons; the year around it %.0f; want 30%% more", sf.Format(time.DateOnly), pre, avg)
			}
		})
	}
}

// Higher grades buy more.
func TestRegionVolumeRisesWithGrade(t *testing.T) {
	g := testRegion(t)
	bands := []struct{ lo, hi int }{{1, 8}, {9, 14}, {15, 20}, {21, 30}}
	total := make([]float64, len(bands))
	count := make([]int, len(bands))
	for _, h := range g.hist {
		if h.Outlet.Status != retailer.Active {
			continue
		}
		for k, b := range bands {
			if h.Outlet.Grade >= b.lo && h.Outlet.Grade <= b.hi {
				for _, s := range h.Sales {
					total[k] += s.Delivered
				}
				count[k]++
			}
		}
	}
	prev := 0.0
	for k, b := range bands {
		if count[k] == 0 {
			t.Fatalf("no active outlets of grades %d–%d", b.lo, b.hi)
		}
		avg := total[k] / float64(count[k]) / float64(g.region.Weeks)
		if avg <= prev {
			t.Errorf("grades %d–%d deliver %.2f cartons a week; want more than the grades below (%.2f)", b.lo, b.hi, avg, prev)
		}
		prev = avg
	}
}

// Limits bite: on scarce brands, a sizeable share of the lines are granted less than requested.
func TestRegionScarceBrandsCensored(t *testing.T) {
	g := testRegion(t)
	scarce := map[string]bool{}
	for _, b := range g.region.Brands {
		if b.Scarce {
			scarce[b.Code] = true
		}
	}
	lines, cut, cutOther, other := 0, 0, 0, 0
	for _, h := range g.hist {
		for _, s := range h.Sales {
			if scarce[s.Brand] {
				lines++
				if s.Granted < s.Requested {
					cut++
				}
			} else {
				other++
				if s.Granted < s.Requested {
					cutOther++
				}
			}
		}
	}
	share, otherShare := float64(cut)/float64(lines), float64(cutOther)/float64(other)
	if lines < 1000 || share < 0.25 {
		t.Errorf("scarce brands: %d of %d lines granted less than requested (%.0f%%); want at least 25%%", cut, lines, 100*share)
	}
	if otherShare > 0.05 {
		t.Errorf("other brands: %.1f%% of lines cut; want a few (stock-outs and failed orders)", 100*otherShare)
	}
}

// Small outlets buy most of their brands only now and then.
func TestRegionIntermittentSmallOutlets(t *testing.T) {
	g := testRegion(t)
	r := g.region
	zeroShare := func(lo, hi int) float64 {
		cells, nonzero := 0, 0
		for i, h := range g.hist {
			o := h.Outlet
			if o.Status != retailer.Active || o.Grade < lo || o.Grade > hi {
				continue
			}
			for _, b := range g.listing[i] {
				for w := range r.Weeks {
					if r.brands[b].weekly[w] > 0 {
						cells++
					}
				}
			}
			nonzero += len(h.Demand)
		}
		return 1 - float64(nonzero)/float64(cells)
	}
	small, large := zeroShare(1, 8), zeroShare(23, 30)
	if small < 0.5 {
		t.Errorf("grades 1–8: %.0f%% of brand-weeks without demand; want most", 100*small)
	}
	if small <= large {
		t.Errorf("grades 1–8: %.0f%% zero weeks, grades 23–30: %.0f%%; want small outlets more intermittent", 100*small, 100*large)
	}
}

// A new product has no demand and no sales before its launch, and some after.
func TestRegionNewProductsStartAtLaunch(t *testing.T) {
	g := testRegion(t)
	launch := map[string]time.Time{}
	for _, b := range g.region.Brands {
		if b.NewProduct {
			launch[b.Code] = b.LaunchDate
		}
	}
	after := map[string]int{}
	for _, h := range g.hist {
		for _, s := range h.Sales {
			if l, ok := launch[s.Brand]; ok {
				if s.Day.Before(l) {
					t.Fatalf("new brand %s (launch %s) sold on %s", s.Brand, l.Format(time.DateOnly), s.Day.Format(time.DateOnly))
				}
				after[s.Brand]++
			}
		}
		for _, d := range h.Demand {
			if l, ok := launch[d.Brand]; ok && d.Week.Before(l) {
				t.Fatalf("new brand %s (launch %s) in demand the week of %s", d.Brand, l.Format(time.DateOnly), d.Week.Format(time.DateOnly))
			}
		}
	}
	for code := range launch {
		if after[code] == 0 {
			t.Errorf("new brand %s never sold after its launch", code)
		}
	}
}

// Uploads come from collection points only, with gaps, and carry bad rows the batch lists as rejected.
func TestRegionScans(t *testing.T) {
	g := testRegion(t)
	r := g.region
	points, uploads, rows := 0, 0, 0
	reasons := map[retailer.RejectReason]int{}
	for _, h := range g.hist {
		if !h.Outlet.CollectionPoint {
			if len(h.Scans) > 0 {
				t.Fatalf("outlet %s uploads scans but is no collection point", h.Outlet.Licence)
			}
			continue
		}
		if h.Outlet.Status == retailer.Active {
			points++
		}
		ids := map[string]bool{}
		for _, b := range h.Scans {
			uploads++
			rows += len(b.Rows)
			if ids[b.ID] {
				t.Fatalf("batch %s repeats", b.ID)
			}
			ids[b.ID] = true
			rejected := map[int]retailer.RejectReason{}
			for _, rej := range b.Rejects {
				if rej.Row < 1 || rej.Row > len(b.Rows) {
					t.Fatalf("batch %s rejects row %d of %d", b.ID, rej.Row, len(b.Rows))
				}
				rejected[rej.Row] = rej.Reason
				reasons[rej.Reason]++
			}
			for k, row := range b.Rows {
				if row.Qty < 0 && rejected[k+1] != retailer.RejectNegativeStock {
					t.Errorf("batch %s row %d: negative quantity accepted", b.ID, k+1)
				}
				if rejected[k+1] == retailer.RejectDuplicate && (k == 0 || b.Rows[k-1] != row) {
					t.Errorf("batch %s row %d: marked duplicate but not a repeat", b.ID, k+1)
				}
			}
		}
	}
	if points == 0 {
		t.Fatal("no active collection points")
	}
	if perPoint := float64(uploads) / float64(points); perPoint > 0.97*float64(r.Weeks) || perPoint < 0.6*float64(r.Weeks) {
		t.Errorf("%.1f uploads per collection point over %d weeks; want realistic gaps", perPoint, r.Weeks)
	}
	for _, reason := range []retailer.RejectReason{retailer.RejectNegativeStock, retailer.RejectDuplicate, retailer.RejectStockToSales} {
		if reasons[reason] == 0 {
			t.Errorf("no %s rows among %d scan rows", reason, rows)
		}
	}
}

func BenchmarkEach(b *testing.B) {
	cfg := Config{Outlets: 200, Brands: DefaultBrands, Weeks: DefaultWeeks, Seed: 1, Now: testNow}
	r, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	rows := 0
	for range b.N {
		_ = r.Each(func(h *History) error {
			rows += len(h.Sales) + len(h.Demand)
			for _, s := range h.Scans {
				rows += len(s.Rows)
			}
			return nil
		})
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// A brand's planned demand follows the generator's calendar: it rises in the weeks before the Spring
// Festival, slumps after it, and sits near the recent average in the weeks just after the history.
func TestPlanFactorFollowsTheCalendar(t *testing.T) {
	r, err := New(Config{Outlets: 20, Brands: 10, Weeks: 60, Seed: 5, Now: time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	sf, _ := SpringFestival(2027) // 6 February 2027, a Saturday: the week of 1 February
	week := func(d time.Time) time.Time { return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7)) }
	for b := range r.Brands {
		f := func(monday time.Time) float64 {
			v, err := r.PlanFactor(b, monday, 4)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		next, before, after := f(r.End()), f(week(sf).AddDate(0, 0, -7)), f(week(sf).AddDate(0, 0, 7))
		if next < 0.9 || next > 1.1 || before < 1.5*next || after > 0.8*next {
			t.Errorf("brand %d: planned factor %.2f the week after the history, %.2f the week before the festival, %.2f the week after; "+
				"want about 1, well above, below", b, next, before, after)
		}
	}
	if _, err := r.PlanFactor(0, time.Date(2099, 1, 5, 0, 0, 0, 0, time.UTC), 4); err == nil {
		t.Error("PlanFactor beyond the festival table: no error")
	}
}
