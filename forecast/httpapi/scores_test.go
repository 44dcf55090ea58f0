package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/forecast/httpapi"
	"github.com/ordercast/ordercast/retailer"
)

// fakeScores answers every query with set or err and records the queries.
type fakeScores struct {
	set     forecast.ScoreSet
	err     error
	queries []forecast.ScoreQuery
}

var _ httpapi.ScoreReader = (*fakeScores)(nil)

func (f *fakeScores) Scores(_ context.Context, q forecast.ScoreQuery) (forecast.ScoreSet, error) {
	f.queries = append(f.queries, q)
	return f.set, f.err
}

// LatestScoredMonth answers the month of set, or err.
func (f *fakeScores) LatestScoredMonth(_ context.Context, dataset string, against forecast.Against) (time.Time, error) {
	f.queries = append(f.queries, forecast.ScoreQuery{Dataset: dataset, Against: against})
	return f.set.Month, f.err
}

// fakeScope is one account manager's scope; it records whose scope was asked.
type fakeScope struct {
	manager string
	outlets []string
	err     error
	asked   []retailer.Principal
}

var _ httpapi.ScopeReader = (*fakeScope)(nil)

func (f *fakeScope) ManagedScope(_ context.Context, p retailer.Principal) (string, []string, error) {
	f.asked = append(f.asked, p)
	return f.manager, f.outlets, f.err
}

var february = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)

func scoreSet() forecast.ScoreSet {
	return forecast.ScoreSet{Month: february, Dataset: "live", Against: forecast.AgainstSales, RunID: "run-7",
		ScoredAt: time.Date(2026, 3, 1, 17, 30, 0, 0, time.FixedZone("CST", 8*3600)),
		Scores: []forecast.Score{
			{Level: forecast.ScoreOutlet, Key: "330102000001", Actual: 10, Forecast: 12, AbsError: 4, Accuracy: 0.8, WAPE: 0.4, Bias: 0.2},
			{Level: forecast.ScoreOutlet, Key: "330102000002", Actual: 0, Forecast: 3, AbsError: 3, Accuracy: 0,
				WAPE: math.NaN(), Bias: math.NaN()},
			{Level: forecast.ScoreOutlet, Key: "330102000003", Actual: 0, Forecast: 0, AbsError: 0, Accuracy: 1,
				WAPE: math.Inf(1), Bias: math.Inf(-1)},
		}}
}

func newScoresServer(scores *fakeScores, scope *fakeScope, who retailer.Principal) *server {
	h := httpapi.New(&fakeAllocator{}, pass)
	h.WithScores(scores, scope)
	return newServer(h, who)
}

func TestScoresRefusals(t *testing.T) {
	tests := []struct {
		name   string
		who    retailer.Principal
		query  string
		err    error // from the ScoreReader
		status int
		typ    string
		fields []string
		read   bool // the ScoreReader was asked
	}{
		{name: "no month scored yet", who: planner, query: "",
			err: fmt.Errorf("latest scored month: %w", forecast.ErrNoScores), status: 404, typ: "/problems/no-scores", read: true},
		{name: "month not YYYY-MM", who: planner, query: "month=2026-2", status: 422, typ: "/problems/invalid-fields",
			fields: []string{"month"}},
		{name: "month 13", who: planner, query: "month=2026-13", status: 422, typ: "/problems/invalid-fields",
			fields: []string{"month"}},
		{name: "unknown level", who: planner, query: "month=2026-02&level=region", status: 422, typ: "/problems/invalid-fields",
			fields: []string{"level"}},
		{name: "unknown against", who: planner, query: "month=2026-02&against=plan", status: 422, typ: "/problems/invalid-fields",
			fields: []string{"against"}},
		{name: "every field at once", who: manager, query: "month=feb&level=region&against=plan", status: 422,
			typ: "/problems/invalid-fields", fields: []string{"against", "level", "month"}},
		{name: "retailer", who: retailr, query: "month=2026-02&level=outlet", status: 403, typ: "/problems/forbidden"},
		{name: "manufacturer", who: producer, query: "month=2026-02&level=brand", status: 403, typ: "/problems/forbidden"},
		{name: "manager, company level", who: manager, query: "month=2026-02&level=company", status: 403, typ: "/problems/forbidden"},
		{name: "manager, default level (company)", who: manager, query: "month=2026-02", status: 403, typ: "/problems/forbidden"},
		{name: "manager, area level", who: manager, query: "month=2026-02&level=area", status: 403, typ: "/problems/forbidden"},
		{name: "manager, brand level", who: manager, query: "month=2026-02&level=brand&key=B0042", status: 403,
			typ: "/problems/forbidden"},
		{name: "month not scored", who: planner, query: "month=2025-11",
			err: fmt.Errorf("read scores of 2025-11: %w", forecast.ErrNoScores), status: 404, typ: "/problems/no-scores", read: true},
		{name: "month not scored against requests", who: planner, query: "month=2025-11&against=requested",
			err: fmt.Errorf("read scores of 2025-11: %w", forecast.ErrNoScores), status: 404, typ: "/problems/no-scores", read: true},
		{name: "month not scored, manager", who: manager, query: "month=2025-11&level=outlet",
			err: fmt.Errorf("read scores of 2025-11: %w", forecast.ErrNoScores), status: 404, typ: "/problems/no-scores", read: true},
		{name: "unknown error", who: planner, query: "month=2026-02",
			err: errors.New("clickhouse: code 516: authentication failed for user ordercast_ro"), status: 500,
			typ: "/problems/internal", read: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scores := &fakeScores{set: scoreSet(), err: tt.err}
			s := newScoresServer(scores, &fakeScope{manager: "M03", outlets: []string{"330102000001"}}, tt.who)
			req := "GET /scores?" + tt.query
			rec := s.do(t, http.MethodGet, "/api/v1/scores?"+tt.query, "")
			checkProblem(t, req, rec, tt.status, tt.typ, tt.fields)
			if got := len(scores.queries) > 0; got != tt.read {
				t.Errorf("%s: Scores called = %v; want %v", req, got, tt.read)
			}
			for _, secret := range []string{"clickhouse", "ordercast_ro", "authentication"} {
				if strings.Contains(rec.Body.String(), secret) {
					t.Errorf("%s: body %s leaks %q", req, rec.Body, secret)
				}
			}
		})
	}
}

func TestScoresScopeErrorIsNotLeaked(t *testing.T) {
	scores := &fakeScores{set: scoreSet()}
	scope := &fakeScope{err: errors.New("postgres: relation account_managers does not exist")}
	s := newScoresServer(scores, scope, manager)
	rec := s.do(t, http.MethodGet, "/api/v1/scores?month=2026-02&level=outlet", "")
	checkProblem(t, "GET /scores as a manager, scope failing", rec, http.StatusInternalServerError, "/problems/internal", nil)
	if strings.Contains(rec.Body.String(), "account_managers") || len(scores.queries) != 0 {
		t.Errorf("GET /scores, scope failing = %s, %d reads; want no internals and no read", rec.Body, len(scores.queries))
	}
}

func TestScoresQuery(t *testing.T) {
	scope := func() *fakeScope {
		return &fakeScope{manager: "M03", outlets: []string{"330102000001", "330102000002"}}
	}
	tests := []struct {
		name  string
		who   retailer.Principal
		query string
		want  forecast.ScoreQuery
	}{
		{"planner, default level", planner, "month=2026-02",
			forecast.ScoreQuery{Month: february, Level: forecast.ScoreCompany}},
		{"planner, company", planner, "month=2026-02&level=company&against=truth&dataset=seed-1",
			forecast.ScoreQuery{Month: february, Level: forecast.ScoreCompany, Against: forecast.AgainstTruth, Dataset: "seed-1"}},
		{"planner, against requests", planner, "month=2026-02&against=requested",
			forecast.ScoreQuery{Month: february, Level: forecast.ScoreCompany, Against: forecast.AgainstRequested}},
		{"planner, area", planner, "month=2026-02&level=area&key=Xihu",
			forecast.ScoreQuery{Month: february, Level: forecast.ScoreArea, Keys: []string{"Xihu"}}},
		{"planner, any manager", planner, "month=2026-02&level=manager&key=M01&key=M03",
			forecast.ScoreQuery{Month: february, Level: forecast.ScoreManager, Keys: []string{"M01", "M03"}}},
		{"planner, brand", planner, "month=2026-02&level=brand&against=sales",
			forecast.ScoreQuery{Month: february, Level: forecast.ScoreBrand, Against: forecast.AgainstSales}},
		{"planner, any outlet", planner, "month=2026-02&level=outlet&key=330102000009",
			forecast.ScoreQuery{Month: february, Level: forecast.ScoreOutlet, Keys: []string{"330102000009"}}},
		{"admin, area", admin, "month=2026-02&level=area",
			forecast.ScoreQuery{Month: february, Level: forecast.ScoreArea}},
		{"manager, own manager key", manager, "month=2026-02&level=manager",
			forecast.ScoreQuery{Month: february, Level: forecast.ScoreManager, Keys: []string{"M03"}}},
		{"manager, asking another manager too", manager, "month=2026-02&level=manager&key=M01&key=M03",
			forecast.ScoreQuery{Month: february, Level: forecast.ScoreManager, Keys: []string{"M03"}}},
		{"manager, asking only another manager", manager, "month=2026-02&level=manager&key=M01",
			forecast.ScoreQuery{Month: february, Level: forecast.ScoreManager, Keys: []string{}}},
		{"manager, own outlets", manager, "month=2026-02&level=outlet",
			forecast.ScoreQuery{Month: february, Level: forecast.ScoreOutlet, Keys: []string{"330102000001", "330102000002"}}},
		{"manager, some outlets not theirs", manager, "month=2026-02&level=outlet&key=330102000009&key=330102000002",
			forecast.ScoreQuery{Month: february, Level: forecast.ScoreOutlet, Keys: []string{"330102000002"}}},
		{"manager, no outlet of theirs", manager, "month=2026-02&level=outlet&key=330102000009",
			forecast.ScoreQuery{Month: february, Level: forecast.ScoreOutlet, Keys: []string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scores, sc := &fakeScores{set: scoreSet()}, scope()
			s := newScoresServer(scores, sc, tt.who)
			req := "GET /scores?" + tt.query
			rec := s.do(t, http.MethodGet, "/api/v1/scores?"+tt.query, "")
			if rec.Code != http.StatusOK {
				t.Fatalf("%s = %d %s; want 200", req, rec.Code, rec.Body)
			}
			if len(scores.queries) != 1 || !reflect.DeepEqual(scores.queries[0], tt.want) {
				t.Errorf("%s: Scores(%#v); want Scores(%#v)", req, scores.queries, tt.want)
			}
			// A manager's keys are never nil: nil would read every key.
			if tt.who.Role == retailer.RoleManager && len(scores.queries) == 1 && scores.queries[0].Keys == nil {
				t.Errorf("%s: Scores with nil keys (every key) for a manager", req)
			}
			wantScope := 0
			if tt.who.Role == retailer.RoleManager {
				wantScope = 1
			}
			if len(sc.asked) != wantScope || (wantScope == 1 && sc.asked[0] != tt.who) {
				t.Errorf("%s: ManagedScope(%v); want it asked %d times for %v", req, sc.asked, wantScope, tt.who)
			}
			body := decode[struct {
				Level string `json:"level"`
			}](t, req, rec, http.StatusOK)
			if body.Level != string(tt.want.Level) {
				t.Errorf("%s: level %q; want %q", req, body.Level, tt.want.Level)
			}
		})
	}
}

func TestScoresBody(t *testing.T) {
	s := newScoresServer(&fakeScores{set: scoreSet()}, &fakeScope{}, planner)
	rec := s.do(t, http.MethodGet, "/api/v1/scores?month=2026-02&level=outlet", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /scores = %d %s; want 200", rec.Code, rec.Body)
	}
	want := `{"month":"2026-02","dataset":"live","against":"sales","level":"outlet","run_id":"run-7",` +
		`"scored_at":"2026-03-01T09:30:00Z","scores":[` +
		`{"key":"330102000001","actual":10,"forecast":12,"abs_error":4,"accuracy":0.8,"item_accuracy":0.6,"wape":0.4,"bias":0.2},` +
		`{"key":"330102000002","actual":0,"forecast":3,"abs_error":3,"accuracy":0,"item_accuracy":0,"wape":null,"bias":null},` +
		`{"key":"330102000003","actual":0,"forecast":0,"abs_error":0,"accuracy":1,"item_accuracy":1,"wape":null,"bias":null}]}`
	if got := strings.TrimSpace(rec.Body.String()); got != want {
		t.Errorf("GET /scores =\n%s\nwant\n%s", got, want)
	}
}

// A manager without outlets reads no outlet's scores (not every outlet's), and gets [].
func TestScoresManagerWithoutOutlets(t *testing.T) {
	set := scoreSet()
	set.Scores = nil
	scores := &fakeScores{set: set}
	s := newScoresServer(scores, &fakeScope{manager: "M03"}, manager)
	rec := s.do(t, http.MethodGet, "/api/v1/scores?month=2026-02&level=outlet", "")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"scores":[]`) {
		t.Errorf("GET /scores of a manager without outlets = %d %s; want 200 with \"scores\":[]", rec.Code, rec.Body)
	}
	if len(scores.queries) != 1 || scores.queries[0].Keys == nil || len(scores.queries[0].Keys) != 0 {
		t.Errorf("GET /scores of a manager without outlets: Scores(%#v); want Keys: []string{}", scores.queries)
	}
}

// Without a month, the latest month scored on the basis asked: the latest against requested
// quantities of the dataset asked, and its scores.
func TestScoresLatestMonthByDefault(t *testing.T) {
	scores := &fakeScores{set: scoreSet()}
	s := newScoresServer(scores, &fakeScope{}, planner)
	rec := s.do(t, http.MethodGet, "/api/v1/scores?level=brand&against=requested&dataset=m5", "")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"month":"2026-02"`) {
		t.Fatalf("GET /scores without a month = %d %s; want 200 for 2026-02, the latest scored", rec.Code, rec.Body)
	}
	if q := scores.queries; len(q) != 2 || q[0].Dataset != "m5" || q[0].Against != forecast.AgainstRequested ||
		!q[1].Month.Equal(february) || q[1].Level != forecast.ScoreBrand || q[1].Dataset != "m5" || q[1].Against != forecast.AgainstRequested {
		t.Errorf("queries = %+v; want the latest month of m5 against requested, then its brand scores", scores.queries)
	}
}
