package main

import (
	"context"
	"sync"
	"time"
)

// servingGCPercent is the garbage collector's target (GOGC) of `ordercast serve` while it serves
// requests alone. The order path allocates fast over a live heap of about 20 MB, so at Go's default
// of 100 the collector ran every ~200 orders and took about a tenth of the server's CPU; at 400 it
// runs a quarter as often, for a heap of at most ~100 MB (docs/BENCHMARKS.md, orders).
const servingGCPercent = 400

// jobGCPercent is the target while a memory-heavy scheduled job (the weekly forecast, the monthly
// scoring) runs in the process: Go's default, under which a 1M-series forecast stays under its 4 GB
// (at 400 it took 4.4 GB).
const jobGCPercent = 100

// collector is serve's setting of Go's garbage collector: servingGCPercent while it serves requests
// alone, jobGCPercent while at least one memory-heavy job runs (heavy). Jobs may overlap: the target
// goes down when the first starts and back up when the last ends. When GOGC is in serve's environment
// the operator chose the target, and the collector leaves it alone.
type collector struct {
	set     func(percent int) int // debug.SetGCPercent: sets the target, returns the previous one
	serving int
	job     int
	off     bool // GOGC set by the operator: never change the target

	mu      sync.Mutex
	running int // heavy passes running
	prev    int // the target before start, restored by stop
}

// newCollector returns serve's collector for its environment; set is debug.SetGCPercent but in tests.
func newCollector(getenv func(string) string, set func(int) int) *collector {
	return &collector{set: set, serving: servingGCPercent, job: jobGCPercent, off: getenv("GOGC") != ""}
}

// start sets the serving target; stop puts back the target that was there before start.
func (c *collector) start() {
	if c.off {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.prev = c.set(c.serving)
}

func (c *collector) stop() {
	if c.off {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.set(c.prev)
}

// heavy returns pass run under the job target: set when the first heavy pass starts, the serving
// target restored when the last one ends, however the pass ends.
func (c *collector) heavy(pass func(context.Context, time.Time) error) func(context.Context, time.Time) error {
	if c.off {
		return pass
	}
	return func(ctx context.Context, now time.Time) error {
		c.mu.Lock()
		if c.running++; c.running == 1 {
			c.set(c.job)
		}
		c.mu.Unlock()
		defer func() {
			c.mu.Lock()
			if c.running--; c.running == 0 {
				c.set(c.serving)
			}
			c.mu.Unlock()
		}()
		return pass(ctx, now)
	}
}
