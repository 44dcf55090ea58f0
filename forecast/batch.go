package forecast

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// ErrInvalidBatch is returned (wrapped) for a Batch whose fields disagree, or outputs that do not fit
// it.
var ErrInvalidBatch = errors.New("forecast: invalid batch")

// Batch is a set of series forecast together from one origin, so that methods may share what they
// learn among series of a group (an outlet's brands, a brand's outlets).
type Batch struct {
	Series  [][]float64 // each series' history up to the origin, oldest first; lengths may differ
	Groups  []int       // Groups[i] ≥ 0 is the group of series i, e.g. its brand; nil: one group
	Horizon int         // weeks to forecast after each history, ≥ 1
	Workers int         // goroutines to use; runtime.GOMAXPROCS(0) when ≤ 0
	// Origin is the Monday of the first forecast week: each series ends the week before it. Zero:
	// unknown, and methods ignore the calendar.
	Origin time.Time
}

// Method forecasts a Batch: the unit the backtest scores and the engine runs.
//
// ForecastBatch writes the forecast of b.Series[i] into out[i], which must have len(b.Series)
// elements, each with Mean of b.Horizon values and Lower and Upper either nil or of the same length.
// It returns an error wrapping ErrInvalidBatch when the batch or out is malformed, and ctx.Err() when
// ctx is cancelled (out is then partly written). Methods of this package are deterministic: the same
// batch gives the same forecasts whatever b.Workers.
type Method interface {
	Name() string
	ForecastBatch(ctx context.Context, b Batch, out []Forecast) error
}

func errInvalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidBatch}, args...)...)
}

// NewForecasts returns n forecasts of h weeks backed by one allocation, with intervals if asked.
func NewForecasts(n, h int, intervals bool) []Forecast {
	per := h
	if intervals {
		per = 3 * h
	}
	block := make([]float64, n*per)
	out := make([]Forecast, n)
	for i := range out {
		b := block[i*per : (i+1)*per : (i+1)*per]
		out[i].Mean = b[:h:h]
		if intervals {
			out[i].Lower = b[h : 2*h : 2*h]
			out[i].Upper = b[2*h : 3*h : 3*h]
		}
	}
	return out
}

// check validates b and out and returns the number of groups.
func (b Batch) check(out []Forecast) (groups int, err error) {
	if b.Horizon < 1 {
		return 0, fmt.Errorf("%w: horizon %d", ErrInvalidBatch, b.Horizon)
	}
	if out != nil && len(out) != len(b.Series) {
		return 0, fmt.Errorf("%w: %d outputs for %d series", ErrInvalidBatch, len(out), len(b.Series))
	}
	for i, f := range out {
		if len(f.Mean) != b.Horizon ||
			(f.Lower != nil && len(f.Lower) != b.Horizon) || (f.Upper != nil && len(f.Upper) != b.Horizon) {
			return 0, fmt.Errorf("%w: output %d does not hold %d weeks", ErrInvalidBatch, i, b.Horizon)
		}
	}
	if b.Groups == nil {
		return 1, nil
	}
	if len(b.Groups) != len(b.Series) {
		return 0, fmt.Errorf("%w: %d groups for %d series", ErrInvalidBatch, len(b.Groups), len(b.Series))
	}
	for i, g := range b.Groups {
		if g < 0 {
			return 0, fmt.Errorf("%w: series %d in group %d", ErrInvalidBatch, i, g)
		}
		groups = max(groups, g+1)
	}
	return groups, nil
}

func (b Batch) group(i int) int {
	if b.Groups == nil {
		return 0
	}
	return b.Groups[i]
}

func (b Batch) workers() int {
	if b.Workers > 0 {
		return b.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// parallel calls fn(i, s) for i in [0, n) on up to workers goroutines, each with its own Scratch, in
// chunks of consecutive indexes: 256, or fewer when n is small, so that a batch of a few hundred
// series still keeps every worker busy (at least four chunks per worker, of at least 8 indexes). It
// stops early and returns ctx.Err() when ctx is cancelled.
func parallel(ctx context.Context, n, workers int, fn func(i int, s *Scratch)) error {
	chunk := min(256, max(8, n/(4*max(workers, 1))))
	workers = max(1, min(workers, (n+chunk-1)/chunk))
	var (
		mu   sync.Mutex
		next int
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var s Scratch
			for ctx.Err() == nil {
				mu.Lock()
				lo := next
				next += chunk
				mu.Unlock()
				if lo >= n {
					return
				}
				for i := lo; i < min(lo+chunk, n); i++ {
					fn(i, &s)
				}
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// eachParallel calls fn(i) for i in [0, n) on up to workers goroutines, one index at a time: for a
// few large independent tasks, where parallel's chunks would leave a worker idle.
func eachParallel(n, workers int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(workers, n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// Each returns a Method that forecasts every series of a batch with m alone, ignoring groups: how the
// backtest scores a single model.
func Each(m Model) Method { return each{m} }

type each struct{ m Model }

func (e each) Name() string { return e.m.Name() }

func (e each) ForecastBatch(ctx context.Context, b Batch, out []Forecast) error {
	if _, err := b.check(out); err != nil {
		return err
	}
	return parallel(ctx, len(b.Series), b.workers(), func(i int, s *Scratch) {
		e.m.Forecast(b.Series[i], out[i], s)
	})
}
