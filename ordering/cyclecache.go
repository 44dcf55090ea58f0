package ordering

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// CycleSource computes a cycle's view from the store (ordering/postgres.Store): its figures sum every
// limit and order line of the cycle, which over 100,000 outlets takes seconds.
type CycleSource interface {
	Cycle(ctx context.Context, weekStart time.Time) (CycleView, error)
}

// CycleCache keeps cycle views computed, so that a reader who accepts a view some seconds old (the
// planner's pages: the cycle, the allocation preview and its confirmation each show the cycle; the
// API's GET /cycles/{week}?max_age=N) does not sum a province's orders on every request. Cycle always
// computes (and keeps what it computed); Kept serves a view at most maxAge old. Requests for a week
// whose view is being computed share that computation. Forget drops every kept view: the server calls
// it when this process publishes a supply plan or an allocation, so that the planner who published
// sees it at once; other processes' publications and orders placed meanwhile show in at most maxAge.
// Its methods are safe for concurrent use.
type CycleCache struct {
	Source CycleSource
	Now    func() time.Time
	// Life, when not nil, bounds the computations that requests share: they go on when the request
	// that began one gives up, but end when Life does (a server ends it once it has stopped serving,
	// so that a computation waiting on a store that hangs does not hold the process).
	Life context.Context

	mu    sync.Mutex
	views map[time.Time]*keptCycle
	epoch uint64 // incremented by Forget: a computation begun before does not keep its result

	requested, refreshed atomic.Uint64 // computations begun by Kept and by Refresh
}

// keptCycle is one week's view, or its computation while done is open.
type keptCycle struct {
	done  chan struct{}
	view  CycleView
	err   error
	at    time.Time
	epoch uint64
}

// MaxCycleAge is the oldest view Kept serves, whatever it is asked.
const MaxCycleAge = 5 * time.Minute

// Cycle returns the view of the cycle of weekStart as computed now (a computation under way counts
// as now), and keeps it.
func (c *CycleCache) Cycle(ctx context.Context, weekStart time.Time) (CycleView, error) {
	return c.Kept(ctx, weekStart, 0)
}

// Kept returns the view of the cycle of weekStart kept if it is at most maxAge (up to MaxCycleAge)
// old, else computed; errors are not kept.
func (c *CycleCache) Kept(ctx context.Context, weekStart time.Time, maxAge time.Duration) (CycleView, error) {
	maxAge = min(maxAge, MaxCycleAge)
	c.mu.Lock()
	if c.views == nil {
		c.views = map[time.Time]*keptCycle{}
	}
	k := c.views[weekStart]
	if k != nil {
		select {
		case <-k.done:
			if k.err != nil || maxAge <= 0 || c.Now().Sub(k.at) > maxAge {
				k = nil // expired or failed: compute again
			}
		default: // being computed: wait for it below
		}
	}
	if k == nil {
		k = &keptCycle{done: make(chan struct{}), epoch: c.epoch}
		c.views[weekStart] = k
		c.mu.Unlock()
		c.requested.Add(1)
		k.view, k.err = c.shared(ctx, weekStart)
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

// shared computes the view of the cycle of weekStart for every request that waits on it. The
// computation belongs to no one request: the one that began it (ctx) may give up without failing the
// others, so it goes on past ctx's cancellation, until Life ends.
func (c *CycleCache) shared(ctx context.Context, weekStart time.Time) (CycleView, error) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	if c.Life != nil {
		defer context.AfterFunc(c.Life, cancel)()
	}
	return c.Source.Cycle(ctx, weekStart)
}

// Refresh computes the view of the cycle of weekStart and keeps it, as Cycle does, except that
// readers are served the view kept before (if fresh enough for them) until this one is computed: a
// server refreshes the views its pages read before they go stale, so that no page waits for one.
func (c *CycleCache) Refresh(ctx context.Context, weekStart time.Time) error {
	c.mu.Lock()
	epoch := c.epoch
	c.mu.Unlock()
	c.refreshed.Add(1)
	view, err := c.Source.Cycle(ctx, weekStart)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.epoch {
		return nil // forgotten meanwhile: the view may predate a publication
	}
	if c.views == nil {
		c.views = map[time.Time]*keptCycle{}
	}
	done := make(chan struct{})
	close(done)
	c.views[weekStart] = &keptCycle{done: done, view: view, at: c.Now(), epoch: epoch}
	return nil
}

// Computations returns how many views were computed for a reader (Kept and Cycle, shared
// computations counted once) and by Refresh, since the cache was made.
func (c *CycleCache) Computations() (requested, refreshed uint64) {
	return c.requested.Load(), c.refreshed.Load()
}

// Forget drops every kept view, and the results of computations under way.
func (c *CycleCache) Forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	clear(c.views)
}
