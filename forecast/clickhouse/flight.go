package clickhouse

import (
	"context"
	"errors"
	"time"
)

// flight is one read shared by every reader that needs what it reads: the first reader (or a warmer)
// begins it, and the others wait for it instead of sending the same query beside it. The keepers of
// weeks' actuals (weekactuals.go) and of scorings' levels (scorekeep.go) each register their flights
// under their own keys and mutex; flight is what they share: the outcome and how a reader waits for it.
type flight[T any] struct {
	done chan struct{}
	val  T
	err  error
}

func newFlight[T any]() *flight[T] { return &flight[T]{done: make(chan struct{})} }

// finish records the read's outcome and wakes every reader waiting for it. It is called once.
func (f *flight[T]) finish(val T, err error) {
	f.val, f.err = val, err
	close(f.done)
}

// wait waits for f, or for ctx to end. again reports that f was another's read ended by its own
// bounds (cancelled or timed out, as the warmer's is when the server stops), which says nothing of
// the data: the caller should read for itself. A read's own error is returned as it is.
func (f *flight[T]) wait(ctx context.Context, mine bool) (val T, again bool, err error) {
	select {
	case <-f.done:
	case <-ctx.Done():
		return val, false, ctx.Err()
	}
	if f.err != nil && !mine && (errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded)) {
		return val, true, nil
	}
	return f.val, false, f.err
}

// sharedReadContext is the context of a read a request begins for others too: it does not end with
// that request (others may be waiting for it, and what it keeps serves the next ones), only after
// timeout.
func sharedReadContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), timeout)
}
