package ordering

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// The outbox relay moves delivered lines from PostgreSQL, where they are written in the same
// transaction as the delivery, to the sales history in ClickHouse.
//
// Exactly once, given that ClickHouse has no unique keys: the outbox gives every batch a durable id
// before any of it is sent, and a batch not yet marked relayed is offered again with the same id and
// the same lines until it is. Before writing a batch the relay asks the history whether it already
// holds that id (the relay may have died between the write and the mark); one ClickHouse INSERT of a
// batch is atomic, so the history holds all of a batch or none of it. Only one relay works at a time
// (a lease), so two processes never send the same batch at once.

// OutboxBatch is a batch of sales lines with its durable id.
type OutboxBatch struct {
	ID     string
	Lines  []SalesLine
	Oldest time.Time // when the batch's oldest line was written to the outbox
}

// Days returns the first and last Day of the batch's lines (zero times for an empty batch).
func (b OutboxBatch) Days() (first, last time.Time) {
	for i, l := range b.Lines {
		if i == 0 || l.Day.Before(first) {
			first = l.Day
		}
		if i == 0 || l.Day.After(last) {
			last = l.Day
		}
	}
	return first, last
}

// Outbox is the relay's view of the PostgreSQL outbox (ordering/postgres.Store).
type Outbox interface {
	// LeaseRelay makes the caller the only relay until release is called; ok is false when another
	// relay holds the lease.
	LeaseRelay(ctx context.Context) (release func(), ok bool, err error)
	// NextBatch returns the oldest batch not yet relayed, giving pending lines (at most max) a batch id
	// first when no batch is open; ok is false when nothing is pending.
	NextBatch(ctx context.Context, max int) (b OutboxBatch, ok bool, err error)
	// MarkRelayed records that the history holds the batch.
	MarkRelayed(ctx context.Context, batchID string, now time.Time) error
	// Backlog returns how many lines wait to be relayed and when the oldest was written.
	Backlog(ctx context.Context) (lines int, oldest time.Time, err error)
}

// SalesHistory is where relayed lines go (ordering/clickhouse.Store).
type SalesHistory interface {
	// HasSalesBatch reports whether the history already holds the batch.
	HasSalesBatch(ctx context.Context, b OutboxBatch) (bool, error)
	// WriteSalesBatch writes the batch's lines, all or none.
	WriteSalesBatch(ctx context.Context, b OutboxBatch) error
}

// RelayObserver is told what the relay sees, for metrics. Its methods must be fast.
type RelayObserver interface {
	// Backlog reports the lines waiting and the age of the oldest (0 when none wait).
	Backlog(lines int, oldestAge time.Duration)
	// Relayed reports a batch written to the history and how long its oldest line waited.
	Relayed(lines int, lag time.Duration)
	// Failed reports a pass that stopped on an error.
	Failed()
}

// DefaultRelayBatch is how many lines one relayed batch holds at most.
const DefaultRelayBatch = 5000

// Relay relays the outbox to the sales history.
type Relay struct {
	Outbox   Outbox
	History  SalesHistory
	Observer RelayObserver // may be nil
	Batch    int           // DefaultRelayBatch when 0
	Log      *slog.Logger  // slog.Default() when nil
	Now      func() time.Time
}

// ErrRelayBusy is returned by Drain when another relay holds the lease.
var ErrRelayBusy = errors.New("ordering: another outbox relay is running")

// Drain relays batches until none is pending and returns how many lines it relayed. It stops at the
// first error: the batch it was on stays pending, with its id, for the next pass.
func (r *Relay) Drain(ctx context.Context) (int, error) {
	release, ok, err := r.Outbox.LeaseRelay(ctx)
	if err != nil {
		return 0, fmt.Errorf("relay: lease: %w", err)
	}
	if !ok {
		return 0, ErrRelayBusy
	}
	defer release()
	relayed := 0
	for {
		n, err := r.relayOne(ctx)
		relayed += n
		if err != nil || n == 0 {
			return relayed, err
		}
	}
}

func (r *Relay) relayOne(ctx context.Context) (int, error) {
	size := r.Batch
	if size <= 0 {
		size = DefaultRelayBatch
	}
	b, ok, err := r.Outbox.NextBatch(ctx, size)
	if err != nil {
		return 0, fmt.Errorf("relay: next batch: %w", err)
	}
	if !ok {
		return 0, nil
	}
	held, err := r.History.HasSalesBatch(ctx, b)
	if err != nil {
		return 0, fmt.Errorf("relay: batch %s: check history: %w", b.ID, err)
	}
	if !held {
		if err := r.History.WriteSalesBatch(ctx, b); err != nil {
			return 0, fmt.Errorf("relay: batch %s: write history: %w", b.ID, err)
		}
	}
	now := r.now()
	if err := r.Outbox.MarkRelayed(ctx, b.ID, now); err != nil {
		return 0, fmt.Errorf("relay: batch %s: mark relayed: %w", b.ID, err)
	}
	if r.Observer != nil {
		r.Observer.Relayed(len(b.Lines), now.Sub(b.Oldest))
	}
	if held {
		r.log().Info("outbox batch was already in the history; marked relayed", "batch", b.ID, "lines", len(b.Lines))
	}
	return len(b.Lines), nil
}

// Pass drains the outbox and reports the backlog after it. Another relay holding the lease is no
// failure: it is draining. A pass that fails (ClickHouse down, say) leaves the backlog for the next.
func (r *Relay) Pass(ctx context.Context, _ time.Time) error {
	_, err := r.Drain(ctx)
	if errors.Is(err, ErrRelayBusy) {
		err = nil
	}
	if err != nil && ctx.Err() == nil && r.Observer != nil {
		r.Observer.Failed()
	}
	r.ObserveBacklog(ctx)
	return err
}

// ObserveBacklog reports the outbox's backlog to the Observer. Every instance calls it on its own
// clock, not only the one whose pass holds the lease, so no instance exports a backlog it saw when it
// last relayed; a failed read reports nothing.
func (r *Relay) ObserveBacklog(ctx context.Context) {
	if r.Observer == nil {
		return
	}
	lines, oldest, err := r.Outbox.Backlog(ctx)
	if err != nil {
		return
	}
	age := time.Duration(0)
	if lines > 0 {
		age = max(r.now().Sub(oldest), 0)
	}
	r.Observer.Backlog(lines, age)
}

func (r *Relay) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

func (r *Relay) log() *slog.Logger {
	if r.Log == nil {
		return slog.Default()
	}
	return r.Log
}
