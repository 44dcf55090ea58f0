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
