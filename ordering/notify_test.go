package ordering_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ordercast/ordercast/ordering"
)

func TestBackoff(t *testing.T) {
	p := ordering.RetryPolicy{MaxAttempts: 10, Base: 30 * time.Second, Max: 10 * time.Minute}
	tests := []struct {
		attempt int
		jitter  float64
		want    time.Duration
	}{
		{1, 0, 15 * time.Second}, // half of 30 s
		{1, 0.5, 22*time.Second + 500*time.Millisecond},
		{2, 0, 30 * time.Second},                            // half of 1 min
		{3, 0, time.Minute},                                 // half of 2 min
		{5, 0.999999, 8*time.Minute - 240*time.Microsecond}, // 8 min, just under
		{6, 0, 5 * time.Minute},                             // 16 min capped at 10: half of it
		{50, 0, 5 * time.Minute},
	}
	for _, tt := range tests {
		if got := p.Backoff(tt.attempt, tt.jitter); got != tt.want {
			t.Errorf("Backoff(%d, %v) = %v; want %v", tt.attempt, tt.jitter, got, tt.want)
		}
	}
	// Exponential in expectation, never above Max, never below half of it once capped.
	for a := 1; a < 20; a++ {
		lo, hi := p.Backoff(a, 0), p.Backoff(a, 0.999999)
		if lo > hi || hi > p.Max || (a > 1 && lo < p.Backoff(a-1, 0)) {
			t.Errorf("Backoff(%d) spans %v to %v; want non-decreasing and at most %v", a, lo, hi, p.Max)
		}
	}
}

func TestRetryPolicyValidate(t *testing.T) {
	for _, p := range []ordering.RetryPolicy{{}, {MaxAttempts: 1, Base: time.Second, Max: time.Millisecond}, {MaxAttempts: 0, Base: 1, Max: 1}} {
		if p.Validate() == nil {
			t.Errorf("%+v.Validate() = nil; want an error", p)
		}
	}
	if err := ordering.DefaultRetryPolicy.Validate(); err != nil {
		t.Errorf("DefaultRetryPolicy.Validate() = %v", err)
	}
}

func TestCompose(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		n      ordering.Notice
		zh, en []string // substrings each message must hold
	}{
		{"window closing", ordering.Notice{Kind: ordering.WindowClosing, Data: map[string]string{"closes_at": "2026-12-06T10:00:00Z"}},
			[]string{"12月6日 18:00", "还没有订货"}, []string{"18:00 on Sun 6 Dec", "not ordered"}},
		{"order failed for the balance", ordering.Notice{Kind: ordering.OrderFailed, Data: ordering.OrderFailedData(
			ordering.FailedOrder{DueOrder: ordering.DueOrder{ID: 42, TotalCents: 17000, BalanceCents: 1500},
				Reason: ordering.InsufficientBalance(17000, 1500)}, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC))},
			[]string{"订单 42", "170.00 元", "15.00 元", "余额不足"}, []string{"order 42 failed", "170.00", "15.00"}},
		{"order failed otherwise", ordering.Notice{Kind: ordering.OrderFailed, Data: map[string]string{"order_id": "9", "reason": "outlet closed"}},
			[]string{"订单 9", "outlet closed"}, []string{"order 9 failed: outlet closed"}},
		{"new limit", ordering.Notice{Kind: ordering.NewLimit, Data: map[string]string{"cycle": "2026-11-30", "brand": "S1",
			"brand_name": "中华(软)", "cartons": "5"}},
			[]string{"11月30日", "「中华(软)」", "5 条"}, []string{"up to 5 cartons of 中华(软) (S1)", "30 Nov 2026"}},
		{"new product", ordering.Notice{Kind: ordering.NewProduct, Data: map[string]string{"brand": "N1", "brand_name": "新品",
			"price_cents": "25050"}},
			[]string{"新品上市", "「新品」", "250.50 元"}, []string{"New product on sale: 新品 (N1), 250.50 a carton"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ordering.Compose(tt.n, shanghai)
			for _, s := range tt.zh {
				if !strings.Contains(m.ZH, s) {
					t.Errorf("Compose(%v).ZH = %q; want it to hold %q", tt.n.Kind, m.ZH, s)
				}
			}
			for _, s := range tt.en {
				if !strings.Contains(m.EN, s) {
					t.Errorf("Compose(%v).EN = %q; want it to hold %q", tt.n.Kind, m.EN, s)
				}
			}
		})
	}
}

// fakeQueue is an in-memory NoticeQueue holding claims the way the PostgreSQL one does.
type fakeQueue struct {
	mu       sync.Mutex
	notices  map[string]*fakeNotice
	recorded []ordering.NoticeOutcome
}

type fakeNotice struct {
	n        ordering.Notice
	state    ordering.NoticeState
	attempts int
	next     time.Time
	token    string
}

func newFakeQueue(ns ...ordering.Notice) *fakeQueue {
	q := &fakeQueue{notices: map[string]*fakeNotice{}}
	for _, n := range ns {
		q.notices[n.ID] = &fakeNotice{n: n, state: ordering.NoticePending, next: n.CreatedAt}
	}
	return q
}

func (q *fakeQueue) ClaimNotices(_ context.Context, now time.Time, lease time.Duration, max int) ([]ordering.ClaimedNotice, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []ordering.ClaimedNotice
	for id, f := range q.notices {
		if len(out) == max {
			break
		}
		if f.state != ordering.NoticePending || f.next.After(now) {
			continue
		}
		f.attempts++
		f.next = now.Add(lease)
		f.token = id + "/" + now.String()
		out = append(out, ordering.ClaimedNotice{Notice: f.n, Attempt: f.attempts, Token: f.token})
	}
	return out, nil
}

func (q *fakeQueue) RecordNotice(_ context.Context, c ordering.ClaimedNotice, o ordering.NoticeOutcome) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	f := q.notices[c.ID]
	if f.token != c.Token || f.state != ordering.NoticePending {
		return false, nil
	}
	f.state, f.token = o.State, ""
	if o.State == ordering.NoticePending {
		f.next = o.Next
	}
	q.recorded = append(q.recorded, o)
	return true, nil
}

func (q *fakeQueue) NoticeBacklog(context.Context) (ordering.NoticeBacklog, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var b ordering.NoticeBacklog
	for _, f := range q.notices {
		switch f.state {
		case ordering.NoticePending:
			b.Pending++
		case ordering.NoticeDead:
			b.Dead++
		}
	}
	return b, nil
}

// scriptedNotifier answers each attempt with the next error of its script (nil once it runs out).
type scriptedNotifier struct {
	mu     sync.Mutex
	script []error
	calls  int
}

func (s *scriptedNotifier) Notify(context.Context, ordering.Notice, ordering.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if len(s.script) == 0 {
		return nil
	}
	err := s.script[0]
	s.script = s.script[1:]
	return err
}

type tally struct {
	mu       sync.Mutex
	outcomes map[string]int
}

func (t *tally) Attempted(_ ordering.NoticeKind, outcome string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.outcomes[outcome]++
}
func (t *tally) Backlog(int, time.Duration, int) {}

func TestSenderOutcomes(t *testing.T) {
	start := time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)
	retryable := errors.New("connection refused")
	permanent := &ordering.NoticeError{Err: errors.New("410 Gone"), Permanent: true}
	policy := ordering.RetryPolicy{MaxAttempts: 3, Base: time.Minute, Max: time.Hour}
	tests := []struct {
		name     string
		script   []error
		state    ordering.NoticeState
		calls    int
		outcomes map[string]int
	}{
		{"delivered at once", nil, ordering.NoticeSent, 1, map[string]int{"delivered": 1}},
		{"fails twice then delivered", []error{retryable, retryable}, ordering.NoticeSent, 3,
			map[string]int{"retry": 2, "delivered": 1}},
		{"refused for good", []error{permanent}, ordering.NoticeDead, 1, map[string]int{"rejected": 1}},
		{"out of attempts", []error{retryable, retryable, retryable, retryable}, ordering.NoticeDead, 3,
			map[string]int{"retry": 2, "exhausted": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := start
			q := newFakeQueue(ordering.Notice{ID: "n1", Kind: ordering.NewLimit, CreatedAt: start})
			notifier := &scriptedNotifier{script: tt.script}
			obs := &tally{outcomes: map[string]int{}}
			s := &ordering.NoticeSender{Queue: q, Notifier: notifier, Retry: policy, Observer: obs,
				Now: func() time.Time { return now }, Jitter: func() float64 { return 0 }}
			for range 10 { // passes, each after the longest backoff
				if _, err := s.Drain(context.Background()); err != nil {
					t.Fatal(err)
				}
				now = now.Add(time.Hour)
			}
			f := q.notices["n1"]
			if f.state != tt.state || notifier.calls != tt.calls {
				t.Errorf("after %d passes: state %s, %d calls; want %s, %d", 10, f.state, notifier.calls, tt.state, tt.calls)
			}
			for k, v := range tt.outcomes {
				if obs.outcomes[k] != v {
					t.Errorf("outcomes %v; want %v", obs.outcomes, tt.outcomes)
					break
				}
			}
		})
	}
}

func TestSenderWaitsTheBackoffAndRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)
	q := newFakeQueue(ordering.Notice{ID: "n1", Kind: ordering.NewLimit, CreatedAt: now})
	notifier := &scriptedNotifier{script: []error{
		errors.New("503"),
		&ordering.NoticeError{Err: errors.New("429"), RetryAfter: 10 * time.Minute},
	}}
	s := &ordering.NoticeSender{Queue: q, Notifier: notifier,
		Retry: ordering.RetryPolicy{MaxAttempts: 5, Base: time.Minute, Max: time.Hour},
		Now:   func() time.Time { return now }, Jitter: func() float64 { return 0.5 }}
	if _, err := s.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	// First failure: 1 min with equal jitter 0.5 → 45 s.
	if want := now.Add(45 * time.Second); len(q.recorded) != 1 || !q.recorded[0].Next.Equal(want) {
		t.Fatalf("after the first failure: %+v; want the next attempt at %v", q.recorded, want)
	}
	if _, err := s.Drain(context.Background()); err != nil || notifier.calls != 1 {
		t.Fatalf("a pass before the backoff ended made %d calls (%v); want none", notifier.calls-1, err)
	}
	now = now.Add(45 * time.Second)
	if _, err := s.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Second failure asked for 10 min, longer than the backoff (2 min → 90 s).
	if want := now.Add(10 * time.Minute); len(q.recorded) != 2 || !q.recorded[1].Next.Equal(want) {
		t.Fatalf("after a 429 with Retry-After 10 min: %+v; want the next attempt at %v", q.recorded, want)
	}
}

// A sender shut down mid-attempt records nothing: the claim's lease ends and the notice is tried again.
func TestSenderShutDownMidAttemptLeavesTheNoticePending(t *testing.T) {
	now := time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)
	q := newFakeQueue(ordering.Notice{ID: "n1", Kind: ordering.NewLimit, CreatedAt: now})
	ctx, cancel := context.WithCancel(context.Background())
	s := &ordering.NoticeSender{Queue: q, Notifier: notifierFunc(func(ctx context.Context) error {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	}), Now: func() time.Time { return now }}
	s.Drain(ctx) //nolint:errcheck // ends with the cancelled context
	if f := q.notices["n1"]; f.state != ordering.NoticePending || len(q.recorded) != 0 {
		t.Errorf("after a shutdown mid-attempt: %s, recorded %+v; want pending, nothing recorded", f.state, q.recorded)
	}
}

type notifierFunc func(ctx context.Context) error

func (f notifierFunc) Notify(ctx context.Context, _ ordering.Notice, _ ordering.Message) error {
	return f(ctx)
}

type fakeRecorder struct {
	lead          time.Duration
	launchedAfter time.Time
	expanded      bool
	pruneBefore   time.Time
	fail          error
}

func (f *fakeRecorder) RecordReminders(_ context.Context, _ time.Time, lead time.Duration) (int, error) {
	f.lead = lead
	return 0, f.fail
}

func (f *fakeRecorder) RecordNewProducts(_ context.Context, _, launchedAfter time.Time) (int, error) {
	f.launchedAfter = launchedAfter
	return 0, f.fail
}

func (f *fakeRecorder) ExpandLimitNotices(context.Context, time.Time) (int, error) {
	f.expanded = true
	return 0, f.fail
}

func (f *fakeRecorder) DeleteSentNotices(_ context.Context, before time.Time) (int64, error) {
	f.pruneBefore = before
	return 0, f.fail
}

// The scan runs each step at now, the next even when one fails.
func TestNoticeScanRunsEveryStep(t *testing.T) {
	now := time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)
	for _, fail := range []error{nil, errors.New("postgresql down")} {
		f := &fakeRecorder{fail: fail}
		err := (&ordering.NoticeScan{Store: f, Prune: f, Log: slog.New(slog.DiscardHandler)}).Pass(context.Background(), now)
		if (err != nil) != (fail != nil) {
			t.Errorf("scan with store error %v returned %v", fail, err)
		}
		if f.lead != ordering.DefaultReminderLead || !f.launchedAfter.Equal(now.AddDate(0, 0, -28)) || !f.expanded ||
			!f.pruneBefore.Equal(now.Add(-ordering.NoticeRetention)) {
			t.Errorf("scan with store error %v: %+v; want every step, a 6 h lead, products of 4 weeks, pruning past 30 days", fail, f)
		}
	}
}
