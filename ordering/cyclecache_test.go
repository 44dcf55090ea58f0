package ordering_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordercast/ordercast/ordering"
)

// countingCycles computes a view whose order count is the number of computations so far, after
// waiting for release when it is not nil.
type countingCycles struct {
	calls   atomic.Int32
	release chan struct{}
	err     error
}

func (s *countingCycles) Cycle(_ context.Context, week time.Time) (ordering.CycleView, error) {
	n := s.calls.Add(1)
	if s.release != nil {
		<-s.release
	}
	v := ordering.CycleView{Orders: map[ordering.OrderStatus]int{ordering.Submitted: int(n)}}
	v.WeekStart = week
	return v, s.err
}

// A kept view is served until it is maxAge old, then computed again; Forget drops it at once, and a
// failed computation is not kept.
func TestCycleCacheKeepsForMaxAge(t *testing.T) {
	src := &countingCycles{}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	c := &ordering.CycleCache{Source: src, Now: func() time.Time { return now }}
	week := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	computed := func(want int) {
		t.Helper()
		v, err := c.Kept(context.Background(), week, 30*time.Second)
		if err != nil || v.Orders[ordering.Submitted] != want {
			t.Fatalf("Cycle = computation %d, %v; want computation %d", v.Orders[ordering.Submitted], err, want)
		}
	}
	computed(1)
	now = now.Add(30 * time.Second)
	computed(1) // exactly MaxAge old: kept
	now = now.Add(time.Second)
	computed(2)
	c.Forget()
	computed(3)
	computed(3)
	c.Forget()
	src.err = errors.New("down")
	if _, err := c.Cycle(context.Background(), week); err == nil {
		t.Fatal("Cycle with the store down = nil error")
	}
	src.err = nil
	computed(5)
	if v, err := c.Cycle(context.Background(), week); err != nil || v.Orders[ordering.Submitted] != 6 {
		t.Errorf("Cycle = computation %d, %v; want a fresh one, 6", v.Orders[ordering.Submitted], err)
	}
	computed(6) // Cycle keeps what it computed
}

// Requests while a view is computed share that computation.
func TestCycleCacheSharesComputation(t *testing.T) {
	src := &countingCycles{release: make(chan struct{})}
	c := &ordering.CycleCache{Source: src, Now: time.Now}
	week := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	got := make([]int, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, _ := c.Kept(context.Background(), week, time.Minute)
			got[i] = v.Orders[ordering.Submitted]
		}()
	}
	for src.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the others wait on it
	close(src.release)
	wg.Wait()
	if n := src.calls.Load(); n != 1 {
		t.Errorf("8 concurrent requests computed %d views; want 1", n)
	}
	for i, n := range got {
		if n != 1 {
			t.Errorf("request %d got computation %d; want 1", i, n)
		}
	}
}

// A refreshed view serves the readers that follow without a computation of theirs; while a refresh
// computes, readers are served the view kept before; a refresh begun before Forget keeps nothing.
func TestCycleCacheRefresh(t *testing.T) {
	src := &countingCycles{}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	c := &ordering.CycleCache{Source: src, Now: func() time.Time { return now }}
	week := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	ctx := context.Background()
	kept := func(want int) {
		t.Helper()
		v, err := c.Kept(ctx, week, 30*time.Second)
		if err != nil || v.Orders[ordering.Submitted] != want {
			t.Fatalf("Kept = computation %d, %v; want computation %d", v.Orders[ordering.Submitted], err, want)
		}
	}
	if err := c.Refresh(ctx, week); err != nil {
		t.Fatal(err)
	}
	kept(1)
	kept(1)
	if req, ref := c.Computations(); req != 0 || ref != 1 {
		t.Errorf("Computations = %d requested, %d refreshed; want 0 and 1: the warmed reads computed nothing", req, ref)
	}

	// A slow refresh: readers are served computation 1 meanwhile, then computation 2.
	now = now.Add(20 * time.Second)
	src.release = make(chan struct{})
	refreshed := make(chan error)
	go func() { refreshed <- c.Refresh(ctx, week) }()
	for src.calls.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	kept(1)
	close(src.release)
	if err := <-refreshed; err != nil {
		t.Fatal(err)
	}
	src.release = nil
	now = now.Add(25 * time.Second) // 45 s after the first, 25 s after the refresh
	kept(2)

	// Forget during a refresh: the refresh's view, computed before, is not kept.
	src.release = make(chan struct{})
	go func() { refreshed <- c.Refresh(ctx, week) }()
	for src.calls.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	c.Forget()
	close(src.release)
	if err := <-refreshed; err != nil {
		t.Fatal(err)
	}
	src.release = nil
	kept(4)
	if req, ref := c.Computations(); req != 1 || ref != 3 {
		t.Errorf("Computations = %d requested, %d refreshed; want 1 (after Forget) and 3", req, ref)
	}
}

// blockedCycles computes nothing: it waits until its context ends, and says it began on began.
type blockedCycles struct{ began chan struct{} }

func (s blockedCycles) Cycle(ctx context.Context, _ time.Time) (ordering.CycleView, error) {
	close(s.began)
	<-ctx.Done()
	return ordering.CycleView{}, ctx.Err()
}

// A shared computation goes on when the request that began it gives up, and ends with the cache's
// Life: a server that has stopped serving is not held by a store that hangs.
func TestCycleCacheComputationEndsWithLife(t *testing.T) {
	life, endLife := context.WithCancel(context.Background())
	src := blockedCycles{began: make(chan struct{})}
	c := &ordering.CycleCache{Source: src, Now: time.Now, Life: life}
	week := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	request, giveUp := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Kept(request, week, time.Minute)
		done <- err
	}()
	<-src.began
	giveUp()
	select {
	case err := <-done:
		t.Fatalf("the computation ended with its request (%v); want it to go on until Life ends", err)
	case <-time.After(50 * time.Millisecond):
	}
	endLife()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Kept after Life ended = %v; want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the computation did not end with Life")
	}
}
