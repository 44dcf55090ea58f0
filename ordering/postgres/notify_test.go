package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/ordering/postgres"
	"github.com/ordercast/ordercast/ordering/webhook"
)

var hookSecret = []byte("test-secret-0123456789")

// quiet is the senders' log in tests: their retries and dead letters are checked, not read.
var quiet = slog.New(slog.DiscardHandler)

// receiver is a local webhook receiver: it verifies each request's signature, answers with the next
// status of its script (200 once the script runs out; per notice id when perID), and keeps what it
// received.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	script []int
	perID  map[string][]int // a script per notice id, used when not nil
	seen   map[string]int   // requests per notice id
	taken  map[string]int   // requests answered 2xx per notice id: deliveries in effect
	bodies map[string]webhook.Body
	bad    int // requests with a bad signature
}

func newReceiver(t *testing.T, script ...int) *receiver {
	r := &receiver{t: t, script: script, seen: map[string]int{}, taken: map[string]int{}, bodies: map[string]webhook.Body{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := webhook.Verify(hookSecret, req.Header, body, time.Now(), time.Minute); err != nil {
		r.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var b webhook.Body
	if err := json.Unmarshal(body, &b); err != nil || b.ID != req.Header.Get(webhook.HeaderIdempotencyKey) {
		r.t.Errorf("body %s with Idempotency-Key %q: %v", body, req.Header.Get(webhook.HeaderIdempotencyKey), err)
	}
	r.seen[b.ID]++
	status := http.StatusOK
	script := &r.script
	if r.perID != nil {
		s := r.perID[b.ID]
		script = &s
		defer func() { r.perID[b.ID] = s }()
	}
	if len(*script) > 0 {
		status, *script = (*script)[0], (*script)[1:]
	}
	if status/100 == 2 {
		r.taken[b.ID]++
		r.bodies[b.ID] = b
	}
	w.WriteHeader(status)
}

func (r *receiver) notifier(t *testing.T) *webhook.Notifier {
	n, err := webhook.New(r.srv.URL+"/notices", hookSecret, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// sender is a NoticeSender on the store through the receiver's webhook, at a clock the test moves.
func (f orderFixture) sender(t *testing.T, s *postgres.Store, r *receiver, now *time.Time) *ordering.NoticeSender {
	return &ordering.NoticeSender{Queue: s, Notifier: r.notifier(t),
		Retry: ordering.RetryPolicy{MaxAttempts: 4, Base: time.Minute, Max: 10 * time.Minute},
		Now:   func() time.Time { return *now }, Log: quiet}
}

func (f orderFixture) noticeStates(t *testing.T) map[string]string {
	t.Helper()
	rows, err := f.pool.Query(context.Background(), `SELECT id, state || '/' || attempts FROM notifications`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, state string
		if err := rows.Scan(&id, &state); err != nil {
			t.Fatal(err)
		}
		out[id] = state
	}
	return out
}

func TestNoticesOfACutoffAndAnAllocationArriveOnceSigned(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	poor := f.addOutlet(t, "L3", 1500)
	short, _, err := f.s.PlaceOrder(ctx, poor, 0, []ordering.LineRequest{{Brand: "A", Requested: 2}}, ordering.PlaceOptions{AllowCredit: true}, f.now)
	if err != nil {
		t.Fatal(err)
	}
	ten := 10
	limits := []ordering.OutletLimit{{Outlet: "L1", Brand: "S", Cartons: 3, Explanation: "grade 12"}, {Outlet: "L3", Brand: "S", Cartons: 2, Explanation: "grade 12"}}
	week := ordering.WeekStart(f.now)
	publish := func(id string, at time.Time) {
		t.Helper()
		if err := f.s.PublishAllocation(ctx, week, ordering.SupplyLine{Brand: "S", OnSale: true, SupplyCartons: &ten}, "grade", id, f.supplyPublishedAt(t, week, "S"), limits, 0, at); err != nil {
			t.Fatal(err)
		}
	}
	publish("alloc-1", f.now)
	publish("alloc-1", f.now.Add(time.Second)) // the same allocation again (a retried request)
	if n, err := f.s.ExpandLimitNotices(ctx, f.now.Add(time.Second)); err != nil || n != 2 {
		t.Errorf("ExpandLimitNotices = %d, %v; want 2 (L1 5 → 3, L3 new)", n, err)
	}
	publish("alloc-2", f.now.Add(2*time.Second)) // the same limits under a new allocation: no news
	if n, err := f.s.ExpandLimitNotices(ctx, f.now.Add(2*time.Second)); err != nil || n != 0 {
		t.Errorf("ExpandLimitNotices of an allocation that changes nothing = %d, %v; want 0", n, err)
	}
	if _, err := f.s.CloseDueWindows(ctx, f.now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	r := newReceiver(t)
	now := f.now.Add(time.Hour)
	s := f.sender(t, f.s, r, &now)
	for range 2 {
		if _, err := s.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	micro := func(t time.Time) int64 { return t.UnixMicro() }
	failedID := ordering.OrderFailedID(short.ID)
	changed := fmt.Sprintf("new_limit:alloc-1:%d", f.outlet)
	want := []string{
		failedID,
		fmt.Sprintf("new_limit:%s:S:%d:5:%d", week.Format(time.DateOnly), f.outlet, micro(f.now)), // the fixture's manual limit
		changed, // by the allocation
		fmt.Sprintf("new_limit:alloc-1:%d", poor),
	}
	sort.Strings(want)
	got := make([]string, 0, len(r.seen))
	for id, n := range r.seen {
		got = append(got, id)
		if n != 1 || r.taken[id] != 1 {
			t.Errorf("notice %s received %d times, taken %d; want once", id, n, r.taken[id])
		}
	}
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(want, " ") || r.bad != 0 {
		t.Errorf("received %v (%d with a bad signature); want %v, all signed", got, r.bad, want)
	}
	b := r.bodies[failedID]
	if b.Kind != "order_failed" || b.Outlet != "L3" || b.Data["total_cents"] != "2000" || b.Data["balance_cents"] != "1500" ||
		!strings.Contains(b.Message.ZH, "余额不足") || !strings.Contains(b.Message.EN, "the order is 20.00, the balance 15.00") {
		t.Errorf("the failed order's notice = %+v; want order_failed for L3 naming 20.00 and 15.00", b)
	}
	if b := r.bodies[changed]; b.Kind != "new_limit" || b.Data["cartons"] != "3" || b.Data["allocation"] != "alloc-1" ||
		b.Data["explanation"] != "grade 12" || !strings.Contains(b.Message.EN, "up to 3 cartons of Scarce (S)") {
		t.Errorf("the allocation's notice to L1 = %+v; want a new limit of 3 from alloc-1", b)
	}
	for id, state := range f.noticeStates(t) {
		if state != "sent/1" {
			t.Errorf("notice %s is %s; want sent after 1 attempt", id, state)
		}
	}
	if backlog, err := f.s.NoticeBacklog(ctx); err != nil || backlog.Pending != 0 || backlog.Dead != 0 {
		t.Errorf("NoticeBacklog = %+v, %v; want nothing pending or dead", backlog, err)
	}
}

// A receiver that fails twice, then takes the notice, has it once in effect: three requests, one id.
func TestFlakyReceiverGetsTheNoticeOnceInEffect(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t) // its manual limit is one notice
	r := newReceiver(t, http.StatusServiceUnavailable, http.StatusBadGateway)
	now := f.now
	s := f.sender(t, f.s, r, &now)
	for range 6 {
		if _, err := s.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		now = now.Add(10 * time.Minute) // past any backoff of the policy
	}
	if len(r.seen) != 1 {
		t.Fatalf("received %v; want one notice", r.seen)
	}
	for id, n := range r.seen {
		if n != 3 || r.taken[id] != 1 {
			t.Errorf("notice %s: %d requests, taken %d times; want 3 requests (2 failed), taken once", id, n, r.taken[id])
		}
		if state := f.noticeStates(t)[id]; state != "sent/3" {
			t.Errorf("notice %s is %s; want sent after 3 attempts", id, state)
		}
	}
}

// A receiver that refuses a notice (4xx) dead-letters it at once; one that keeps failing (5xx)
// dead-letters it after the retry limit. The backlog shows both as dead.
func TestFailingReceiversDeadLetter(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	second := f.addOutlet(t, "L3", 0)
	if err := f.s.PublishSupply(ctx, f.cycleID, 0, 0, nil, []ordering.OutletLimit{{Outlet: "L3", Brand: "S", Cartons: 1}}, "manual", f.now); err != nil {
		t.Fatal(err)
	}
	week := ordering.WeekStart(f.now).Format(time.DateOnly)
	refused := fmt.Sprintf("new_limit:%s:S:%d:5:%d", week, f.outlet, f.now.UnixMicro())
	failing := fmt.Sprintf("new_limit:%s:S:%d:1:%d", week, second, f.now.UnixMicro())
	r := newReceiver(t)
	r.perID = map[string][]int{refused: {http.StatusGone}, failing: {500, 500, 500, 500, 500, 500}}
	now := f.now
	s := f.sender(t, f.s, r, &now) // 4 attempts at most
	for range 8 {
		if _, err := s.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		now = now.Add(10 * time.Minute)
	}
	states := f.noticeStates(t)
	if states[refused] != "dead/1" || states[failing] != "dead/4" || r.seen[refused] != 1 || r.seen[failing] != 4 {
		t.Errorf("states %v, requests %v; want %s dead after 1 request (410), %s dead after 4 (500s)", states, r.seen, refused, failing)
	}
	if backlog, err := f.s.NoticeBacklog(ctx); err != nil || backlog.Pending != 0 || backlog.Dead != 2 {
		t.Errorf("NoticeBacklog = %+v, %v; want 0 pending and 2 dead", backlog, err)
	}
}

// Two senders on two connection pools (two instances) drain one queue at once: every notice is
// delivered exactly once.
func TestTwoSendersNeverBothDeliverANotice(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	const n = 300
	if _, err := f.pool.Exec(ctx, `INSERT INTO notifications (id, outlet_id, kind, data, created_at, next_attempt_at)
		SELECT 'bulk:' || g, $1, 'new_product', '{"brand":"S"}', $2, $2 FROM generate_series(1, $3) g`, f.outlet, f.now, n); err != nil {
		t.Fatal(err)
	}
	other, err := pgxpool.New(ctx, f.pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	r := newReceiver(t)
	now := f.now
	var wg sync.WaitGroup
	for _, s := range []*postgres.Store{f.s, postgres.New(other)} {
		sender := f.sender(t, s, r, &now)
		sender.Workers = 8
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := sender.Drain(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	total := 0
	for id, c := range r.seen {
		total += c
		if c != 1 {
			t.Errorf("notice %s delivered %d times; want once", id, c)
		}
	}
	if len(r.seen) != n+1 || total != n+1 { // and the fixture's limit notice
		t.Errorf("%d notices received in %d requests; want %d, once each", len(r.seen), total, n+1)
	}
}

func TestReminderOncePerOutletAndWindow(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t) // L1 (Friday, no order) and L2 (closed); every window closes at now+1h
	ordered := f.addOutlet(t, "L3", 100000)
	f.place(t, ordered, ordering.LineRequest{Brand: "A", Requested: 1})
	cancelled := f.addOutlet(t, "L4", 100000)
	o := f.place(t, cancelled, ordering.LineRequest{Brand: "A", Requested: 1})
	if _, err := f.s.CancelOrder(ctx, cancelled, o.ID, 0, f.now); err != nil {
		t.Fatal(err)
	}
	var monday int64
	if err := f.pool.QueryRow(ctx, `INSERT INTO outlets (licence_no, name, area, business_format, locality, order_day, grade)
		VALUES ('L5', 'shop', 'A1', 'kiosk', 'urban', 1, 3) RETURNING id`).Scan(&monday); err != nil {
		t.Fatal(err)
	}

	if n, err := f.s.RecordReminders(ctx, f.now, 30*time.Minute); err != nil || n != 0 {
		t.Errorf("RecordReminders an hour before the close with a 30 min lead = %d, %v; want none", n, err)
	}
	if n, err := f.s.RecordReminders(ctx, f.now, 6*time.Hour); err != nil || n != 3 {
		t.Errorf("RecordReminders within the lead = %d, %v; want 3 (L1, L4 cancelled, L5)", n, err)
	}
	// Again, and from two instances at once: nothing new.
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if n, err := f.s.RecordReminders(ctx, f.now.Add(time.Duration(i)*time.Minute), 6*time.Hour); err != nil || n != 0 {
				t.Errorf("RecordReminders again = %d, %v; want none", n, err)
			}
		}()
	}
	wg.Wait()
	week := ordering.WeekStart(f.now)
	states := f.noticeStates(t)
	for _, id := range []string{ordering.WindowClosingID(week, 5, f.outlet), ordering.WindowClosingID(week, 5, cancelled),
		ordering.WindowClosingID(week, 1, monday)} {
		if states[id] != "pending/0" {
			t.Errorf("notice %s is %q; want pending", id, states[id])
		}
	}
	if _, ok := states[ordering.WindowClosingID(week, 5, ordered)]; ok {
		t.Errorf("an outlet that has ordered was reminded")
	}
	var data []byte
	if err := f.pool.QueryRow(ctx, `SELECT data FROM notifications WHERE id = $1`, ordering.WindowClosingID(week, 5, f.outlet)).Scan(&data); err != nil {
		t.Fatal(err)
	}
	if want := f.now.Add(time.Hour).UTC().Format(time.RFC3339); !strings.Contains(string(data), want) {
		t.Errorf("reminder data %s; want closes_at %s", data, want)
	}
	// After the close there is no window to remind of.
	if n, err := f.s.RecordReminders(ctx, f.now.Add(time.Hour), 6*time.Hour); err != nil || n != 0 {
		t.Errorf("RecordReminders at the close = %d, %v; want none", n, err)
	}
}

func TestNewProductNoticeOncePerOutlet(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	f.addOutlet(t, "L3", 0)
	launched := f.now.AddDate(0, 0, -7)
	for _, b := range []struct {
		code   string
		launch time.Time
	}{{"N", launched}, {"OLD", f.now.AddDate(0, 0, -70)}} {
		if _, err := f.pool.Exec(ctx, `WITH b AS (INSERT INTO brands (code, name, manufacturer_id, price_class, wholesale_price_cents,
				retail_price_cents, new_product, launch_date) SELECT $1, '新品', id, 2, 25000, 30000, true, $2 FROM manufacturers
				WHERE code = 'M1' RETURNING id)
			INSERT INTO supply_plans (cycle_id, brand_id, on_sale) SELECT $3, id, true FROM b`, b.code, b.launch, f.cycleID); err != nil {
			t.Fatal(err)
		}
	}
	after := f.now.AddDate(0, 0, -7*ordering.NewProductWeeks)
	if n, err := f.s.RecordNewProducts(ctx, f.now, after); err != nil || n != 2 {
		t.Errorf("RecordNewProducts = %d, %v; want 2 (N to L1 and L3; not to closed L2, and not OLD)", n, err)
	}
	if n, err := f.s.RecordNewProducts(ctx, f.now.Add(time.Minute), after); err != nil || n != 0 {
		t.Errorf("RecordNewProducts again = %d, %v; want none", n, err)
	}
}

// flakyReceiver fails in the ways a gateway does, chosen by a seeded random number per request: it
// refuses before taking the notice (503), takes it and then fails to answer (500: the sender must
// retry and the receiver sees the id again), takes it and answers too late (the sender times out),
// refuses it for good (400), or takes it (200). It deduplicates on the id, as a receiver should, and
// counts what it saw.
type flakyReceiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	rnd      *rand.Rand
	slow     time.Duration
	inFlight map[string]bool
	taken    map[string]int // requests that took the notice, per id
	requests int
	overlaps int // a request for an id while another for it was in flight: two senders at once
}

func newFlakyReceiver(t *testing.T, seed uint64, slow time.Duration) *flakyReceiver {
	r := &flakyReceiver{rnd: rand.New(rand.NewPCG(seed, 1)), slow: slow, inFlight: map[string]bool{}, taken: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if webhook.Verify(hookSecret, req.Header, body, time.Now(), time.Minute) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		id := req.Header.Get(webhook.HeaderIdempotencyKey)
		r.mu.Lock()
		r.requests++
		if r.inFlight[id] {
			r.overlaps++
		}
		r.inFlight[id] = true
		p := r.rnd.Float64()
		r.mu.Unlock()
		defer func() { r.mu.Lock(); delete(r.inFlight, id); r.mu.Unlock() }()
		take := func() { r.mu.Lock(); r.taken[id]++; r.mu.Unlock() }
		switch {
		case p < 0.20:
			w.WriteHeader(http.StatusServiceUnavailable)
		case p < 0.30:
			take()
			w.WriteHeader(http.StatusInternalServerError)
		case p < 0.35:
			take()
			time.Sleep(r.slow)
		case p < 0.37:
			w.WriteHeader(http.StatusBadRequest)
		default:
			take()
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// idle waits until no request is in flight.
func (r *flakyReceiver) idle() {
	for {
		r.mu.Lock()
		n := len(r.inFlight)
		r.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// N notices through a flaky receiver, sent by two senders (two connection pools) at once: every
// notice ends delivered or dead-lettered, every delivered one was taken, none is sent by two senders
// at once. The figures go into docs/RELIABILITY.md (run with -v).
func TestNoticesThroughAFlakyReceiver(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	const n = 1000
	if _, err := f.pool.Exec(ctx, `INSERT INTO notifications (id, outlet_id, kind, data, created_at, next_attempt_at)
		SELECT 'flaky:' || g, $1, 'new_product', '{"brand":"S"}', $2, $2 FROM generate_series(1, $3) g`, f.outlet, f.now, n); err != nil {
		t.Fatal(err)
	}
	r := newFlakyReceiver(t, 14, 300*time.Millisecond)
	other, err := pgxpool.New(ctx, f.pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	notifier, err := webhook.New(r.srv.URL, hookSecret, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var clock sync.Mutex
	now := f.now
	senders := []*ordering.NoticeSender{}
	for _, s := range []*postgres.Store{f.s, postgres.New(other)} {
		senders = append(senders, &ordering.NoticeSender{Queue: s, Notifier: notifier, Workers: 8, Timeout: 100 * time.Millisecond,
			Retry: ordering.RetryPolicy{MaxAttempts: 5, Base: time.Minute, Max: 10 * time.Minute},
			Now:   func() time.Time { clock.Lock(); defer clock.Unlock(); return now }, Log: quiet})
	}
	rounds := 0
	for ; rounds < 10; rounds++ {
		var wg sync.WaitGroup
		for _, s := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.Drain(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		backlog, err := f.s.NoticeBacklog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if backlog.Pending == 0 {
			break
		}
		// An hour passes: past every backoff and lease, and past the end of every request the
		// senders gave up on (a receiver still busy with one after the backoff would see the retry
		// overlap it; with backoffs of 30 s and more that takes a receiver slower than any timeout).
		r.idle()
		clock.Lock()
		now = now.Add(time.Hour)
		clock.Unlock()
	}
	states := f.noticeStates(t)
	var sent, dead, deadButTaken, duplicates, neverTaken int
	for id, st := range states {
		if !strings.HasPrefix(id, "flaky:") {
			continue
		}
		state, _, _ := strings.Cut(st, "/")
		switch state {
		case "sent":
			sent++
			if r.taken[id] == 0 {
				neverTaken++
			}
		case "dead":
			dead++
			if r.taken[id] > 0 {
				deadButTaken++
			}
		default:
			t.Errorf("notice %s is %s after %d rounds; want sent or dead", id, st, rounds+1)
		}
		if r.taken[id] > 1 {
			duplicates += r.taken[id] - 1
		}
	}
	if sent+dead != n || neverTaken != 0 || r.overlaps != 0 {
		t.Errorf("%d sent + %d dead of %d; %d sent but never taken; %d requests overlapping another for the same id; want all settled, none",
			sent, dead, n, neverTaken, r.overlaps)
	}
	t.Logf("%d notices, 2 senders, %d rounds: %d requests; delivered %d (taken by the receiver, deduplicated by id), "+
		"duplicate requests seen by id %d, dead-lettered %d (of which the receiver had taken %d before failing), "+
		"concurrent sends of one id %d", n, rounds+1, r.requests, sent+deadButTaken, duplicates, dead, deadButTaken, r.overlaps)
}

// Announcing an allocation of one brand to 300,000 outlets, after its publication committed: run with
// -benchtime=1x (each iteration publishes a new allocation, untimed, that changes every limit).
func BenchmarkExpandLimitNotices300k(b *testing.B) {
	ctx := context.Background()
	f := newOrderFixture(b)
	const n = 300_000
	f.addOutlets(b, "B", n)
	limits := make([]ordering.OutletLimit, n)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		total := 0
		for j := range limits {
			c := 1 + (j+i)%5
			limits[j] = ordering.OutletLimit{Outlet: fmt.Sprintf("B%06d", j+1), Brand: "S", Cartons: c,
				Explanation: fmt.Sprintf("limit %d cartons: grade %d; supply covers 61%% of demand; rounded by largest remainder", c, 1+j%30)}
			total += c
		}
		at := f.now.Add(time.Duration(i) * time.Second)
		if err := f.s.PublishAllocation(ctx, ordering.WeekStart(f.now), ordering.SupplyLine{Brand: "S", OnSale: true, SupplyCartons: &total},
			"grade", fmt.Sprintf("bench-%d", i), f.supplyPublishedAt(b, ordering.WeekStart(f.now), "S"), limits, 0, at); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		got, err := f.s.ExpandLimitNotices(ctx, at)
		if err != nil || got < n*4/5 {
			b.Fatalf("ExpandLimitNotices = %d, %v; want about %d", got, err, n)
		}
	}
}

// Sending 10,000 notices to a local receiver that answers at once, with 8 workers: the sender's own
// cost per notice (claim, signed POST, record).
func BenchmarkSendNotices10k(b *testing.B) {
	ctx := context.Background()
	f := newOrderFixture(b)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
	defer srv.Close()
	notifier, err := webhook.New(srv.URL, hookSecret, 5*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	const n = 10_000
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if _, err := f.pool.Exec(ctx, `INSERT INTO notifications (id, outlet_id, kind, data, created_at, next_attempt_at)
			SELECT 'bench:' || $4::int || ':' || g, $1, 'new_product', '{"brand":"S","brand_name":"Scarce","price_cents":"5000"}', $2, $2
			FROM generate_series(1, $3) g`, f.outlet, f.now, n, i); err != nil {
			b.Fatal(err)
		}
		s := &ordering.NoticeSender{Queue: f.s, Notifier: notifier, Workers: 8, Now: func() time.Time { return f.now }, Log: quiet}
		b.StartTimer()
		if got, err := s.Drain(ctx); err != nil || got < n {
			b.Fatalf("Drain = %d, %v; want %d attempts", got, err, n)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "notices/s")
}
