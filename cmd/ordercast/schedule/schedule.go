// Package schedule runs the scheduled jobs of `ordercast serve` (cut-off, relay, clean-up, the weekly
// forecast, the monthly scoring) so that, however many instances serve on one PostgreSQL, each job's
// pass runs on one instance at a time and each of its due occurrences succeeds once.
//
// A job is tried on every instance at its interval. A try first takes the job's lock (a PostgreSQL
// advisory lock, held on a connection of its own for the pass: if the instance dies, PostgreSQL drops
// the lock with the connection and the next instance to try takes the job over). A job with a slot
// (the week of a forecast, the month of a scoring, the hour of a clean-up) then reads the last slot
// that succeeded, runs only when the slot due now is later, and records the slot in the same store
// when the pass succeeds: a pass that failed or died half-way leaves its slot due for the next try.
// Every instance exports each job's last success and its duration from the store, so an alert does not
// depend on which instance ran it.
package schedule

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Job is one scheduled job.
type Job struct {
	Name  string        // stable: the lock, the store's row and the metrics' label
	Every time.Duration // how often each instance tries it
	// Slot names the occurrence due at now, in an order that sorts as text (a week "2026-11-30", a
	// month "2026-11"); "" when none is due yet. Nil: every try runs a pass (the relay, which drains
	// whatever waits).
	Slot func(now time.Time) string
	// Pass does the work. Its context is cancelled when the server stops or the lock is lost.
	Pass func(ctx context.Context, now time.Time) error
}

// Lock is a job's lock held by this instance, until Release.
type Lock interface {
	// LastSlot is the last slot that succeeded ("" if none).
	LastSlot(ctx context.Context) (string, error)
	// Succeeded records a pass that succeeded at end after running for took, and its slot if any.
	Succeeded(ctx context.Context, slot string, end time.Time, took time.Duration) error
	// Lost is closed when the lock's connection is gone: the pass must stop.
	Lost() <-chan struct{}
	Release()
}

// Store holds the jobs' locks and their record (cmd/ordercast/schedule's Postgres).
type Store interface {
	// TryLock takes the job's lock; ok is false when another instance holds it.
	TryLock(ctx context.Context, job string) (lock Lock, ok bool, err error)
	// LastSuccess is when the job last succeeded and how long that pass took; ok is false if never.
	LastSuccess(ctx context.Context, job string) (end time.Time, took time.Duration, ok bool, err error)
}

// Outcome is how one try of a job ended.
type Outcome string

const (
	Succeeded Outcome = "success"
	Failed    Outcome = "failure"
	Busy      Outcome = "busy"      // another instance held the lock
	NotDue    Outcome = "not_due"   // the slot due now already succeeded, or none is due
	Abandoned Outcome = "abandoned" // the lock was lost or the server stopped during the pass
)

// Outcomes are every Outcome, for metrics to start their series at zero.
var Outcomes = []Outcome{Succeeded, Failed, Busy, NotDue, Abandoned}

// Observer is told what the runner sees, for metrics. Its methods must be fast.
type Observer interface {
	Tried(job string, o Outcome)
	Running(job string, running bool)
	LastSuccess(job string, end time.Time, took time.Duration)
}

// Runner runs jobs until its context is done.
type Runner struct {
	Store    Store
	Observer Observer // may be nil
	Log      *slog.Logger
	Now      func() time.Time // time.Now when nil

	mu      sync.Mutex
	failing map[string]bool // jobs whose last try failed: a failure is logged once, then its recovery
}

// Run tries every job at its interval, each in a goroutine of its own, a first time at once, until
// ctx is done; it returns when every pass has ended.
func (r *Runner) Run(ctx context.Context, jobs []Job) {
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.loop(ctx, j)
		}()
	}
	wg.Wait()
}

func (r *Runner) loop(ctx context.Context, j Job) {
	t := time.NewTicker(j.Every)
	defer t.Stop()
	for {
		r.Try(ctx, j)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if ctx.Err() != nil {
				return
			}
		}
	}
}

// Try runs one pass of j if this instance gets its lock and a slot is due, and reports the outcome.
func (r *Runner) Try(ctx context.Context, j Job) Outcome {
	o, err := r.try(ctx, j)
	if o == Failed && ctx.Err() != nil { // the server stops: whatever failed, the next holder runs it again
		o = Abandoned
	}
	r.mu.Lock()
	was := r.failing[j.Name]
	if r.failing == nil {
		r.failing = map[string]bool{}
	}
	r.failing[j.Name] = o == Failed
	r.mu.Unlock()
	switch {
	case o == Failed && !was:
		r.Log.Warn("scheduled job failed; it is tried again at its interval", "job", j.Name, "err", err)
	case o == Failed:
		r.Log.Debug("scheduled job failed again", "job", j.Name, "err", err)
	case o == Abandoned && ctx.Err() == nil:
		r.Log.Warn("scheduled job lost its lock during a pass; the next holder runs it again", "job", j.Name, "err", err)
	case was:
		r.Log.Info("scheduled job recovered", "job", j.Name, "outcome", string(o))
	}
	if r.Observer != nil {
		r.Observer.Tried(j.Name, o)
		if o != Succeeded { // another instance may have run it: its record says when (a success reported itself)
			if end, took, ok, err := r.Store.LastSuccess(ctx, j.Name); err == nil && ok {
				r.Observer.LastSuccess(j.Name, end, took)
			}
		}
	}
	return o
}

func (r *Runner) try(ctx context.Context, j Job) (Outcome, error) {
	lock, ok, err := r.Store.TryLock(ctx, j.Name)
	if err != nil {
		return Failed, err
	}
	if !ok {
		return Busy, nil
	}
	defer lock.Release()
	start := r.now()
	slot := ""
	if j.Slot != nil {
		if slot = j.Slot(start); slot == "" {
			return NotDue, nil
		}
		last, err := lock.LastSlot(ctx)
		if err != nil {
			return Failed, err
		}
		if slot <= last {
			return NotDue, nil
		}
	}
	passCtx, cancel := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() { // joined below: stops the pass when the lock's connection goes
		defer close(watched)
		select {
		case <-lock.Lost():
			cancel()
		case <-passCtx.Done():
		}
	}()
	if r.Observer != nil {
		r.Observer.Running(j.Name, true)
	}
	r.Log.Debug("scheduled job starts", "job", j.Name, "slot", slot)
	err = j.Pass(passCtx, start)
	abandoned := passCtx.Err() != nil
	cancel()
	<-watched
	if r.Observer != nil {
		r.Observer.Running(j.Name, false)
	}
	if abandoned {
		return Abandoned, err
	}
	if err != nil {
		return Failed, err
	}
	end := r.now()
	if err := lock.Succeeded(ctx, slot, end, end.Sub(start)); err != nil {
		return Failed, err
	}
	if r.Observer != nil {
		r.Observer.LastSuccess(j.Name, end, end.Sub(start))
	}
	if slot != "" {
		r.Log.Info("scheduled job succeeded", "job", j.Name, "slot", slot, "took", end.Sub(start).String())
	}
	return Succeeded, nil
}

func (r *Runner) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}
