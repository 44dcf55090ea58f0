package forecast

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"
)

// fakeStore is an in-memory history store for the orchestration tests: a HistoryReader,
// SalesReader, CalendarReader, CatalogueReader and RunWriter over fixed data.
type fakeStore struct {
	info     DatasetInfo
	sales    SalesPanel
	truth    Panel
	calendar []CalendarDay
	brands   []Brand
	err      error // returned by every read when not nil

	mu      sync.Mutex
	queries []HistoryQuery
	calFrom time.Time
	calTo   time.Time
	runs    []Run
}

func (f *fakeStore) Dataset(_ context.Context, dataset string) (DatasetInfo, error) {
	if f.err != nil {
		return DatasetInfo{}, f.err
	}
	info := f.info
	info.Dataset = dataset
	return info, nil
}

// SalesHistory returns a copy of the weeks of f.sales before q.Before, so that a caller correcting
// it in place leaves f.sales as it was.
func (f *fakeStore) SalesHistory(_ context.Context, q HistoryQuery) (SalesPanel, error) {
	f.mu.Lock()
	f.queries = append(f.queries, q)
	f.mu.Unlock()
	if f.err != nil {
		return SalesPanel{}, f.err
	}
	n := len(f.sales.Weeks)
	if !q.Before.IsZero() {
		for n > 0 && !f.sales.Weeks[n-1].Before(Monday(q.Before)) {
			n--
		}
	}
	out := SalesPanel{Weeks: f.sales.Weeks[:n:n]}
	if q.OnWeeks != nil {
		q.OnWeeks(out.Weeks)
	}
	for _, s := range f.sales.Series {
		c := SalesSeries{Outlet: s.Outlet, Brand: s.Brand, Sales: append([]float64(nil), s.Sales[:n]...)}
		if s.Requested != nil {
			c.Requested = append([]float64(nil), s.Requested[:n]...)
		}
		if s.Censored != nil {
			c.Censored = append([]bool(nil), s.Censored[:n]...)
		}
		out.Series = append(out.Series, c)
	}
	if q.Progress != nil {
		q.Progress(len(out.Series) * n)
	}
	return out, nil
}

func (f *fakeStore) TrueDemand(_ context.Context, dataset string, p SalesPanel) (Panel, error) {
	if f.err != nil {
		return Panel{}, f.err
	}
	if len(f.truth.Series) != len(p.Series) {
		return Panel{}, fmt.Errorf("fake: no true demand of dataset %s", dataset)
	}
	out := Panel{Weeks: p.Weeks}
	for _, s := range f.truth.Series {
		out.Series = append(out.Series, Series{Outlet: s.Outlet, Brand: s.Brand, Values: s.Values[:len(p.Weeks)]})
	}
	return out, nil
}

func (f *fakeStore) Calendar(_ context.Context, dataset string, from, to time.Time) ([]CalendarDay, error) {
	f.mu.Lock()
	f.calFrom, f.calTo = from, to
	f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	var out []CalendarDay
	for _, c := range f.calendar {
		if !c.Day.Before(from) && c.Day.Before(to) && (c.Dataset == "" || c.Dataset == dataset) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *fakeStore) Brands(context.Context, string) ([]Brand, error) { return f.brands, f.err }

func (f *fakeStore) WriteRun(_ context.Context, r Run, _ int, progress func(rows int)) error {
	weekly, monthly := r.Rows()
	if progress != nil {
		progress(weekly + monthly)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runs = append(f.runs, r)
	return nil
}

// recordedProgress records every step and the last count it advanced to.
type recordedProgress struct {
	mu    sync.Mutex
	steps []string
	total map[string]int
	last  map[string]int
}

func (p *recordedProgress) Step(name, unit string, total int) (func(int), func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last == nil {
		p.last, p.total = make(map[string]int), make(map[string]int)
	}
	p.steps = append(p.steps, name)
	p.total[name] = total
	return func(done int) {
		p.mu.Lock()
		p.last[name] = done
		p.mu.Unlock()
	}, func() {}
}

// salesPanel returns outlets × brands series over weeks weeks from Monday 2024-01-01, sorted by
// outlet then brand: brand b sells 10·(b+1) a week with a yearly wave and a trend per outlet.
func salesPanel(outlets, brands, weeks int) SalesPanel {
	p := SalesPanel{Weeks: weeksFrom("2024-01-01", weeks)}
	for o := range outlets {
		for b := range brands {
			s := SalesSeries{Outlet: fmt.Sprintf("O%02d", o), Brand: fmt.Sprintf("B%02d", b), Sales: make([]float64, weeks)}
			for t := range weeks {
				s.Sales[t] = math.Round(10*float64(b+1) + 3*math.Sin(2*math.Pi*float64(t)/52) + 0.05*float64(o*t%7))
			}
			p.Series = append(p.Series, s)
		}
	}
	return p
}
