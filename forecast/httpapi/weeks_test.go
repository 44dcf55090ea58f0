package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/forecast/httpapi"
	"github.com/ordercast/ordercast/retailer"
)

// fakeWeeks answers with figs or err and records the queries.
type fakeWeeks struct {
	figs    []forecast.WeekFigure
	err     error
	queries []forecast.WeeklyQuery
}

var _ httpapi.WeeklyReader = (*fakeWeeks)(nil)

func (f *fakeWeeks) WeekFigures(_ context.Context, q forecast.WeeklyQuery) ([]forecast.WeekFigure, error) {
	f.queries = append(f.queries, q)
	return f.figs, f.err
}

func newWeeksServer(scores *fakeScores, weeks *fakeWeeks, who retailer.Principal) *server {
	h := httpapi.New(&fakeAllocator{}, pass)
	h.WithScores(scores, &fakeScope{})
	h.WithWeeks(weeks)
	return newServer(h, who)
}

// The weeks of a scored month come from the run it was scored against, for the company or a brand;
// a week the run did not forecast has a null forecast.
func TestWeeks(t *testing.T) {
	scores := &fakeScores{set: scoreSet()}
	weeks := &fakeWeeks{figs: []forecast.WeekFigure{
		{Week: time.Date(2026, 1, 26, 0, 0, 0, 0, time.UTC), Forecasted: true, Forecast: 10, Lo80: 8, Hi80: 12, Actual: 9},
		{Week: time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC), Actual: 4},
	}}
	rec := newWeeksServer(scores, weeks, planner).do(t, http.MethodGet, "/api/v1/scores/weeks?month=2026-02&brand=B0042&against=requested", "")
	want := `{"month":"2026-02","dataset":"live","against":"sales","brand":"B0042","run_id":"run-7","weeks":[` +
		`{"week":"2026-01-26","forecast":10,"lo80":8,"hi80":12,"actual":9},{"week":"2026-02-02","forecast":null,"lo80":null,"hi80":null,"actual":4}]}` + "\n"
	if rec.Code != http.StatusOK || rec.Body.String() != want {
		t.Fatalf("GET /scores/weeks = %d %s; want 200 %s", rec.Code, rec.Body, want)
	}
	if q := scores.queries[0]; q.Level != forecast.ScoreCompany || q.Against != forecast.AgainstRequested || q.Month.Format("2006-01") != "2026-02" {
		t.Errorf("scores asked %+v; want the company's scoring of 2026-02 against requests", q)
	}
	q := weeks.queries[0]
	if q.RunID != "run-7" || q.Brand != "B0042" || q.From.Format(time.DateOnly) != "2026-01-26" || q.To.Format(time.DateOnly) != "2026-03-02" {
		t.Errorf("weeks asked %+v; want run-7's B0042 from 2026-01-26 to 2026-03-02", q)
	}
}

func TestWeeksRefusals(t *testing.T) {
	for _, tt := range []struct {
		name      string
		who       retailer.Principal
		query     string
		scoresErr error
		weeksErr  error
		status    int
		typ       string
		fields    []string
	}{
		{name: "no month", who: planner, query: "", status: 422, typ: "/problems/invalid-fields", fields: []string{"month"}},
		{name: "against what", who: planner, query: "month=2026-02&against=hope", status: 422, typ: "/problems/invalid-fields", fields: []string{"against"}},
		{name: "manager", who: manager, query: "month=2026-02", status: 403, typ: "/problems/forbidden"},
		{name: "retailer", who: retailr, query: "month=2026-02", status: 403, typ: "/problems/forbidden"},
		{name: "manufacturer", who: producer, query: "month=2026-02", status: 403, typ: "/problems/forbidden"},
		{name: "not scored", who: planner, query: "month=2025-11", scoresErr: fmt.Errorf("x: %w", forecast.ErrNoScores), status: 404, typ: "/problems/no-scores"},
		{name: "unknown brand", who: planner, query: "month=2026-02&brand=NOPE", weeksErr: fmt.Errorf("x: %w", forecast.ErrNoFigures), status: 404, typ: "/problems/no-figures"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newWeeksServer(&fakeScores{set: scoreSet(), err: tt.scoresErr}, &fakeWeeks{err: tt.weeksErr}, tt.who)
			rec := s.do(t, http.MethodGet, "/api/v1/scores/weeks?"+tt.query, "")
			checkProblem(t, "GET /scores/weeks?"+tt.query, rec, tt.status, tt.typ, tt.fields)
		})
	}
}
