package ordering

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// The notice sender: at least once, with the notice's id as the receiver's idempotency key.
//
// The sender claims due notices from the queue for a lease (ordering/postgres claims rows with
// SELECT … FOR UPDATE SKIP LOCKED and holds them by token until the lease ends), so two senders, in
// one process or in two, never hold one notice at once. Each attempt runs under a deadline shorter
// than the lease; its outcome is recorded under the claim's token: delivered, refused for good
// (dead-lettered at once), or failed (due again after an exponential backoff with jitter, and
// dead-lettered once the attempts reach the retry limit). A sender that dies mid-attempt leaves the
// notice to be claimed again when its lease ends, which counts as an attempt: the receiver may then
// see a notice twice, with the same id.

// Notifier delivers one notice to the outside world. Notify returns nil once the receiver has taken
// the notice; a *NoticeError with Permanent set when it refused it and retrying cannot help; any other
// error when it failed in a way worth retrying (the receiver was down, timed out, asked to wait).
// Notify must return when ctx is done, and may be called from several goroutines at once.
type Notifier interface {
	Notify(ctx context.Context, n Notice, m Message) error
}

// NoticeError is a failed delivery as a Notifier reports it.
type NoticeError struct {
	Err        error
	Permanent  bool          // the receiver refused the notice: do not retry
	RetryAfter time.Duration // the receiver asked to wait at least this long (0: no request)
}

func (e *NoticeError) Error() string {
	if e.Permanent {
		return "refused for good: " + e.Err.Error()
	}
	return e.Err.Error()
}

func (e *NoticeError) Unwrap() error { return e.Err }

// ClaimedNotice is a notice a sender holds, with the attempt it is on (1 for the first).
type ClaimedNotice struct {
	Notice
	Attempt int
	Token   string // the claim: only its holder records the outcome
}

// NoticeState is where a notice is in its delivery.
type NoticeState string

// Notice states.
const (
	NoticePending NoticeState = "pending" // waiting for its (next) attempt
	NoticeSent    NoticeState = "sent"    // the receiver took it
	NoticeDead    NoticeState = "dead"    // refused for good or out of attempts: dead-lettered
)

// NoticeOutcome is what an attempt did to a notice.
type NoticeOutcome struct {
	State NoticeState
	At    time.Time // when the attempt ended
	Next  time.Time // when pending: when the next attempt is due
	Error string    // the failure, when it failed
}

// NoticeBacklog is the queue as the sender's metrics show it.
type NoticeBacklog struct {
	Pending int       // notices waiting to be delivered
	Oldest  time.Time // when the oldest pending notice was created (zero when none)
	Dead    int       // dead-lettered notices, kept for inspection
}

// NoticeQueue is the sender's view of the stored notices (ordering/postgres.Store). It is safe for
// concurrent use across processes.
type NoticeQueue interface {
	// ClaimNotices claims at most max notices due at now (pending, next attempt due, no live claim),
	// oldest first, until now+lease, counting the attempt.
	ClaimNotices(ctx context.Context, now time.Time, lease time.Duration, max int) ([]ClaimedNotice, error)
	// RecordNotice records the outcome of the claimed attempt; recorded is false when the claim was
	// lost (its lease ended and another sender claimed the notice).
	RecordNotice(ctx context.Context, c ClaimedNotice, o NoticeOutcome) (recorded bool, err error)
	// NoticeBacklog reports the queue.
	NoticeBacklog(ctx context.Context) (NoticeBacklog, error)
}

// NoticeObserver is told what the sender does, for metrics. Its methods must be fast and safe for
// concurrent use.
type NoticeObserver interface {
	// Attempted reports one attempt's outcome: "delivered", "retry" (failed, due again), "rejected"
	// (refused for good, dead-lettered) or "exhausted" (failed on its last attempt, dead-lettered).
	Attempted(kind NoticeKind, outcome string)
	// Backlog reports the pending notices, the age of the oldest (0 when none) and the dead ones.
	Backlog(pending int, oldestAge time.Duration, dead int)
}

// Attempt outcomes, as NoticeObserver.Attempted reports them.
const (
	OutcomeDelivered = "delivered"
	OutcomeRetry     = "retry"
	OutcomeRejected  = "rejected"
	OutcomeExhausted = "exhausted"
)

// RetryPolicy is how often and how long a failing notice is tried.
type RetryPolicy struct {
	MaxAttempts int           // attempts in all, the first included; then the notice is dead-lettered
	Base        time.Duration // the wait after the first failure, before jitter
	Max         time.Duration // the longest wait, before jitter
}

// DefaultRetryPolicy tries 10 times over about three hours: 30 s, 1 min, 2 min, … capped at 1 h.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 10, Base: 30 * time.Second, Max: time.Hour}

// Validate checks the policy.
func (p RetryPolicy) Validate() error {
	if p.MaxAttempts < 1 || p.Base <= 0 || p.Max < p.Base {
		return fmt.Errorf("ordering: retry policy %+v: want at least 1 attempt and 0 < base <= max", p)
	}
	return nil
}

// Backoff is the wait after failed attempt number attempt (1 for the first): Base doubled for each
// attempt before it, capped at Max, with "equal jitter": half of it fixed and half scaled by jitter, a
// number in [0, 1), so that notices that failed together (a receiver that was down) do not come back
// together.
func (p RetryPolicy) Backoff(attempt int, jitter float64) time.Duration {
	d := p.Base
	for i := 1; i < attempt && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	half := d / 2
	return half + time.Duration(float64(d-half)*jitter)
}

// NoticeSender delivers the queued notices through a Notifier.
type NoticeSender struct {
	Queue    NoticeQueue
	Notifier Notifier
	Retry    RetryPolicy    // DefaultRetryPolicy when zero
	Timeout  time.Duration  // one attempt's deadline; 10 s when 0. A claim's lease is twice it.
	Workers  int            // attempts at once; 4 when 0
	Location *time.Location // the region's time zone, for messages
	Observer NoticeObserver // may be nil
	Log      *slog.Logger   // slog.Default() when nil
	Now      func() time.Time
	Jitter   func() float64 // a number in [0, 1); math/rand/v2 when nil
}

// DefaultNoticeTimeout is an attempt's deadline when NoticeSender.Timeout is 0.
const DefaultNoticeTimeout = 10 * time.Second

// Drain sends notices until none is due and returns how many attempts it made. It stops at the first
// error of the queue; an attempt that fails is recorded, not returned.
func (s *NoticeSender) Drain(ctx context.Context) (attempts int, err error) {
	workers := s.Workers
	if workers <= 0 {
		workers = 4
	}
	for ctx.Err() == nil {
		claimed, err := s.Queue.ClaimNotices(ctx, s.now(), s.lease(), workers)
		if err != nil {
			return attempts, fmt.Errorf("notices: claim: %w", err)
		}
		if len(claimed) == 0 {
			return attempts, nil
		}
		errs := make([]error, len(claimed))
		var wg sync.WaitGroup
		for i, c := range claimed {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.attempt(ctx, c)
			}()
		}
		wg.Wait()
		attempts += len(claimed)
		if err := errors.Join(errs...); err != nil {
			return attempts, err
		}
	}
	return attempts, ctx.Err()
}

// attempt delivers one claimed notice and records the outcome.
func (s *NoticeSender) attempt(ctx context.Context, c ClaimedNotice) error {
	actx, cancel := context.WithTimeout(ctx, s.timeout())
	err := s.Notifier.Notify(actx, c.Notice, Compose(c.Notice, s.Location))
	cancel()
	if err != nil && ctx.Err() != nil {
		// Shutting down: the attempt was cut short by us, not by the receiver. The claim's lease
		// ends and the notice is tried again, by this process or another.
		return nil
	}
	now := s.now()
	o, outcome := NoticeOutcome{State: NoticeSent, At: now}, OutcomeDelivered
	var ne *NoticeError
	switch {
	case err == nil:
	case errors.As(err, &ne) && ne.Permanent:
		o, outcome = NoticeOutcome{State: NoticeDead, At: now, Error: err.Error()}, OutcomeRejected
	case c.Attempt >= s.retry().MaxAttempts:
		o, outcome = NoticeOutcome{State: NoticeDead, At: now, Error: err.Error()}, OutcomeExhausted
	default:
		wait := s.retry().Backoff(c.Attempt, s.jitter())
		if ne != nil && ne.RetryAfter > wait {
			wait = min(ne.RetryAfter, s.retry().Max)
		}
		o, outcome = NoticeOutcome{State: NoticePending, At: now, Next: now.Add(wait), Error: err.Error()}, OutcomeRetry
	}
	// Record even when ctx ended meanwhile: the receiver has the notice, and saying so saves a resend.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer rcancel()
	recorded, rerr := s.Queue.RecordNotice(rctx, c, o)
	if rerr != nil {
		return fmt.Errorf("notices: record %s: %w", c.ID, rerr)
	}
	if !recorded {
		s.log().Warn("notice claim lost before its outcome was recorded; another sender took it over",
			"notice", c.ID, "outcome", outcome)
		return nil
	}
	if s.Observer != nil {
		s.Observer.Attempted(c.Kind, outcome)
	}
	switch outcome {
	case OutcomeRejected, OutcomeExhausted:
		s.log().Warn("notice dead-lettered", "notice", c.ID, "kind", string(c.Kind), "attempts", c.Attempt, "err", err)
	case OutcomeRetry:
		s.log().Info("notice delivery failed; retrying", "notice", c.ID, "attempt", c.Attempt, "next", o.Next, "err", err)
	}
	return nil
}

// Run drains the queue at once and then every interval until ctx is done, reporting the backlog after
// each pass and logging failures of the queue (the next pass retries).
func (s *NoticeSender) Run(ctx context.Context, every time.Duration) {
	failing := false
	pass := func(time.Time) {
		_, err := s.Drain(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			if !failing {
				s.log().Warn("notice sender failed; the next pass retries", "err", err)
			}
			failing = true
		default:
			failing = false
		}
		s.observeBacklog(ctx)
	}
	pass(s.now())
	Every(ctx, every, s.now, pass)
}

func (s *NoticeSender) observeBacklog(ctx context.Context) {
	if s.Observer == nil {
		return
	}
	b, err := s.Queue.NoticeBacklog(ctx)
	if err != nil {
		return
	}
	age := time.Duration(0)
	if b.Pending > 0 {
		age = max(s.now().Sub(b.Oldest), 0)
	}
	s.Observer.Backlog(b.Pending, age, b.Dead)
}

func (s *NoticeSender) retry() RetryPolicy {
	if s.Retry == (RetryPolicy{}) {
		return DefaultRetryPolicy
	}
	return s.Retry
}

func (s *NoticeSender) timeout() time.Duration {
	if s.Timeout <= 0 {
		return DefaultNoticeTimeout
	}
	return s.Timeout
}

// lease is how long a claim lasts: twice an attempt's deadline, so that an attempt has ended, and
// its outcome has had time to be recorded, before another sender may claim the notice again.
func (s *NoticeSender) lease() time.Duration { return 2 * s.timeout() }

func (s *NoticeSender) jitter() float64 {
	if s.Jitter == nil {
		return rand.Float64()
	}
	return s.Jitter()
}

func (s *NoticeSender) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *NoticeSender) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}
