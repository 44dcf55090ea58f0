package main

import (
	"context"
	"sync"
	"testing"
	"time"
)

// fakeGC records the collector's settings as debug.SetGCPercent would take them.
type fakeGC struct {
	mu      sync.Mutex
	percent int
	history []int
}

func (f *fakeGC) set(p int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	prev := f.percent
	f.percent = p
	f.history = append(f.history, p)
	return prev
}

func (f *fakeGC) now() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.percent
}

func TestCollectorLowersTheTargetWhileHeavyJobsRun(t *testing.T) {
	gc := &fakeGC{percent: 100}
	c := newCollector(func(string) string { return "" }, gc.set)
	c.start()
	if got := gc.now(); got != servingGCPercent {
		t.Fatalf("after start, target %d; want %d", got, servingGCPercent)
	}

	// Two passes overlap: the forecast starts, the scoring starts, the forecast ends (the target must
	// stay at the job's), the scoring ends (back to serving).
	forecastIn, forecastOut := make(chan struct{}), make(chan struct{})
	scoreIn, scoreOut := make(chan struct{}), make(chan struct{})
	seen := map[string]int{}
	var mu sync.Mutex
	pass := func(name string, in, out chan struct{}) func(context.Context, time.Time) error {
		return c.heavy(func(context.Context, time.Time) error {
			mu.Lock()
			seen[name] = gc.now()
			mu.Unlock()
			close(in)
			<-out
			return nil
		})
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); pass("forecast", forecastIn, forecastOut)(context.Background(), time.Now()) }()
	<-forecastIn
	go func() { defer wg.Done(); pass("score", scoreIn, scoreOut)(context.Background(), time.Now()) }()
	<-scoreIn
	close(forecastOut)
	// Wait until the forecast's pass has returned through heavy, whose release runs before wg.Done.
	waitFor(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.running == 1 })
	if got := gc.now(); got != jobGCPercent {
		t.Errorf("one job of two ended: target %d; want %d while the other runs", got, jobGCPercent)
	}
	close(scoreOut)
	wg.Wait()
	if got := gc.now(); got != servingGCPercent {
		t.Errorf("both jobs ended: target %d; want %d", got, servingGCPercent)
	}
	for name, p := range seen {
		if p != jobGCPercent {
			t.Errorf("%s ran at target %d; want %d", name, p, jobGCPercent)
		}
	}

	// A pass that fails, or panics, restores the target all the same.
	failing := c.heavy(func(context.Context, time.Time) error { return context.Canceled })
	if err := failing(context.Background(), time.Now()); err != context.Canceled {
		t.Errorf("heavy(pass) = %v; want the pass's error", err)
	}
	func() {
		defer func() { _ = recover() }()
		c.heavy(func(context.Context, time.Time) error { panic("boom") })(context.Background(), time.Now())
	}()
	if got := gc.now(); got != servingGCPercent {
		t.Errorf("after a failed and a panicking pass: target %d; want %d", got, servingGCPercent)
	}

	c.stop()
	if got := gc.now(); got != 100 {
		t.Errorf("after stop, target %d; want the one before start, 100", got)
	}
}

func TestCollectorLeavesTheOperatorsGOGCAlone(t *testing.T) {
	gc := &fakeGC{percent: 250}
	c := newCollector(func(k string) string {
		if k == "GOGC" {
			return "250"
		}
		return ""
	}, gc.set)
	c.start()
	ran := false
	if err := c.heavy(func(context.Context, time.Time) error { ran = true; return nil })(context.Background(), time.Now()); err != nil || !ran {
		t.Fatalf("heavy(pass) ran %v, err %v; want it run, nil", ran, err)
	}
	c.stop()
	if len(gc.history) != 0 || gc.percent != 250 {
		t.Errorf("GOGC=250 in the environment: targets set %v, now %d; want none, 250", gc.history, gc.percent)
	}
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 5 s")
}
