package indicators

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// maxKept bounds how many computations Trends keeps: levels × weeks asked × scopes in use.
const maxKept = 64

// trendKeep holds the trends' computations kept for Trends.MaxAge.
type trendKeep struct {
	mu      sync.Mutex
	figures map[string]*trendFigures
	stock   map[string]keptStock
	flight  singleflight.Group
}

type keptStock struct {
	at    time.Time
	stock []BrandStock
}

func (t *Trends) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// figuresKey names a computation: the level, the last week and the number of weeks; for the levels
// whose computed rows depend on them, the manager and the keys asked.
func figuresKey(q TrendQuery, last Period) string {
	k := []string{string(q.Level), last.Start.Format(time.DateOnly), strconv.Itoa(q.Weeks)}
	if q.Level != AtManager && q.Level != AtCompany {
		keys := slices.Clone(q.Keys)
		slices.Sort(keys)
		k = append(k, q.Manager, strings.Join(keys, "\x1f"))
	}
	return strings.Join(k, "\x1e")
}

// figures returns q's computation: kept while fresh, else computed (once for concurrent requests).
func (t *Trends) figures(ctx context.Context, q TrendQuery, last Period) (*trendFigures, error) {
	if t.MaxAge <= 0 {
		return t.compute(ctx, q, last)
	}
	key := figuresKey(q, last)
	t.keep.mu.Lock()
	c, ok := t.keep.figures[key]
	t.keep.mu.Unlock()
	if ok && t.now().Sub(c.at) <= t.MaxAge {
		return c, nil
	}
	v, err, _ := t.keep.flight.Do("figures\x1e"+key, func() (any, error) {
		// A computation no caller can cancel for the others: it is kept for all of them.
		ctx, cancel := detached(ctx, t.Life)
		defer cancel()
		c, err := t.compute(ctx, q, last)
		if err != nil {
			return nil, err
		}
		t.keepFigures(key, c)
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*trendFigures), nil
}

// keepFigures keeps c under key.
func (t *Trends) keepFigures(key string, c *trendFigures) {
	t.keep.mu.Lock()
	defer t.keep.mu.Unlock()
	if t.keep.figures == nil {
		t.keep.figures = map[string]*trendFigures{}
	}
	t.forgetOld()
	t.keep.figures[key] = c
}

// Warm computes the company's and the account managers' trends of weeks weeks up to now's week, the
// ones the managers' pages ask for, and keeps them whether or not the kept ones are still fresh. Called
// on a clock shorter than MaxAge, it spares every page the computation (seconds on a large region); a
// page asking meanwhile gets the kept figures. It does nothing when nothing is kept (MaxAge 0).
func (t *Trends) Warm(ctx context.Context, now time.Time, weeks int) error {
	if t.MaxAge <= 0 {
		return nil
	}
	last, err := PeriodOf(Week, now)
	if err != nil {
		return err
	}
	for _, level := range []Level{AtCompany, AtManager} {
		q := TrendQuery{Weeks: weeks, Date: now, Level: level}
		key := figuresKey(q, last)
		_, err, _ := t.keep.flight.Do("figures\x1e"+key, func() (any, error) {
			c, err := t.compute(ctx, q, last)
			if err != nil {
				return nil, err
			}
			t.keepFigures(key, c)
			return c, nil
		})
		if err != nil {
			return fmt.Errorf("warm the %s trend: %w", level, err)
		}
	}
	return nil
}

// keptStock returns the stock of manager's scope at the end of last: kept while fresh, else read.
func (t *Trends) keptStock(ctx context.Context, last Period, manager string) ([]BrandStock, error) {
	if t.MaxAge <= 0 {
		return t.stock(ctx, last, manager)
	}
	key := last.Start.Format(time.DateOnly) + "\x1e" + manager
	t.keep.mu.Lock()
	s, ok := t.keep.stock[key]
	t.keep.mu.Unlock()
	if ok && t.now().Sub(s.at) <= t.MaxAge {
		return s.stock, nil
	}
	v, err, _ := t.keep.flight.Do("stock\x1e"+key, func() (any, error) {
		at := t.now()
		ctx, cancel := detached(ctx, t.Life)
		defer cancel()
		stock, err := t.stock(ctx, last, manager)
		if err != nil {
			return nil, err
		}
		t.keep.mu.Lock()
		defer t.keep.mu.Unlock()
		if t.keep.stock == nil {
			t.keep.stock = map[string]keptStock{}
		}
		t.forgetOld()
		t.keep.stock[key] = keptStock{at: at, stock: stock}
		return stock, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]BrandStock), nil
}

// forgetOld drops what is older than MaxAge and, above maxKept entries, the oldest. The caller
// holds t.keep.mu.
func (t *Trends) forgetOld() {
	now := t.now()
	type entry struct {
		at    time.Time
		drop  func()
		stale bool
	}
	var all []entry
	for k, c := range t.keep.figures {
		all = append(all, entry{c.at, func() { delete(t.keep.figures, k) }, now.Sub(c.at) > t.MaxAge})
	}
	for k, s := range t.keep.stock {
		all = append(all, entry{s.at, func() { delete(t.keep.stock, k) }, now.Sub(s.at) > t.MaxAge})
	}
	slices.SortFunc(all, func(a, b entry) int { return a.at.Compare(b.at) })
	for i, e := range all {
		if e.stale || len(all)-i >= maxKept {
			e.drop()
		}
	}
}

// detached is ctx without its cancellation, for a computation several callers share, which no one
// of them may cancel for the others; it ends when life does (nil: never), so that a server stopping
// does not wait on it. Call cancel when the computation returns.
func detached(ctx, life context.Context) (context.Context, context.CancelFunc) {
	d, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if life == nil {
		return d, cancel
	}
	stop := context.AfterFunc(life, cancel)
	return d, func() { stop(); cancel() }
}
