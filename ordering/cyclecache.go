package ordering

import (
	"context"
	"sync"
	"time"
)

// CycleSource computes a cycle's view from the store (ordering/postgres.Store): its figures sum every
// limit and order line of the cycle, which over 100,000 outlets takes seconds.
type CycleSource interface {
	Cycle(ctx context.Context, weekStart time.Time) (CycleView, error)
}

// CycleCache serves cycle views kept computed for at most MaxAge, so that the planner's pages (the
// cycle, the allocation preview and its confirmation each show the cycle) do not sum a province's
// orders on every request. Requests for a week whose view is missing or older share one computation.
// Forget drops every kept view: the server calls it when this process publishes a supply plan or an
// allocation, so that the planner who published sees it at once; other processes (and orders placed
// meanwhile) show in at most MaxAge. Its zero value is not usable; the methods are safe for concurrent use.
type CycleCache struct {
	Source CycleSource
	MaxAge time.Duration
	Now    func() time.Time

	mu    sync.Mutex
	views map[time.Time]*keptCycle
	epoch uint64 // incremented by Forget: a computation begun before does not keep its result
}

// keptCycle is one week's view, or its computation while done is open.
type keptCycle struct {
	done  chan struct{}
	view  CycleView
	err   error
	at    time.Time
	epoch uint64
}

// DefaultCycleMaxAge is how old a kept cycle view may be when served.
const DefaultCycleMaxAge = 30 * time.Second

// Cycle returns the view of the cycle of weekStart, kept or computed; errors are not kept.
func (c *CycleCache) Cycle(ctx context.Context, weekStart time.Time) (CycleView, error) {
	maxAge := c.MaxAge
	if maxAge <= 0 {
		maxAge = DefaultCycleMaxAge
	}
	c.mu.Lock()
	if c.views == nil {
		c.views = map[time.Time]*keptCycle{}
	}
	k := c.views[weekStart]
	if k != nil {
		select {
		case <-k.done:
			if k.err != nil || c.Now().Sub(k.at) > maxAge {
				k = nil // expired or failed: compute again
			}
		default: // being computed: wait for it below
		}
	}
	if k == nil {
		k = &keptCycle{done: make(chan struct{}), epoch: c.epoch}
		c.views[weekStart] = k
		c.mu.Unlock()
		// The computation belongs to no one request: one that gives up must not fail the others.
		k.view, k.err = c.Source.Cycle(context.WithoutCancel(ctx), weekStart)
		c.mu.Lock()
		k.at = c.Now()
		if k.err != nil || k.epoch != c.epoch {
			if c.views[weekStart] == k {
				delete(c.views, weekStart)
			}
		}
		close(k.done)
		c.mu.Unlock()
		return k.view, k.err
	}
	c.mu.Unlock()
	select {
	case <-k.done:
		return k.view, k.err
	case <-ctx.Done():
		return CycleView{}, ctx.Err()
	}
}

// Forget drops every kept view, and the results of computations under way.
func (c *CycleCache) Forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	clear(c.views)
}
