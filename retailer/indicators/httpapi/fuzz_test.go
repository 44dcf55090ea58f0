package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
	"github.com/ordercast/ordercast/retailer"
	"github.com/ordercast/ordercast/retailer/indicators"
	"github.com/ordercast/ordercast/retailer/indicators/httpapi"
)

// fuzzService answers every report, bulletin and trend with rows of the level asked for (a figure
// with a target, a figure without data), a bulletin with three items in each list, and the targets
// it was given; it checks what the service checks (the trend's weeks, the targets).
type fuzzService struct{ targets []indicators.Target }

func fuzzRow(level indicators.Level, key string, p indicators.Period) indicators.Row {
	v, target, gap, met := 0.9, 0.95, -0.05, false
	return indicators.Row{Level: level, Key: key, Name: "张伟", Manager: "M01", Outlets: 30, Values: []indicators.Value{
		{Indicator: indicators.OrderSuccess, Period: p, Value: &v, Num: 9, Den: 10, Target: &target, Gap: &gap, Met: &met, Rank: 2, Peers: 3},
		{Indicator: indicators.UploadRate, Period: p, NoData: "no collection points"}}}
}

func (s *fuzzService) Report(_ context.Context, q indicators.Query) (indicators.Report, error) {
	rep := indicators.Report{Period: q.Period, Level: q.Level, Company: fuzzRow(indicators.AtCompany, "", q.Period)}
	keys := q.Keys
	if len(keys) == 0 {
		keys = []string{"M01", "M02"}
	}
	for _, k := range keys {
		rep.Rows = append(rep.Rows, fuzzRow(q.Level, k, q.Period))
	}
	return rep, nil
}

func (s *fuzzService) Bulletin(_ context.Context, date time.Time, manager string) (indicators.Bulletin, error) {
	p, err := indicators.PeriodOf(indicators.Day, date)
	if err != nil {
		return indicators.Bulletin{}, err
	}
	b := indicators.Bulletin{Date: p.Start, Manager: manager, Figures: fuzzRow(indicators.AtManager, "M01", p),
		Company: fuzzRow(indicators.AtCompany, "", p), ComputedAt: date}
	if manager == "" {
		b.Managers = []indicators.Row{fuzzRow(indicators.AtManager, "M01", p)}
	}
	for i := range 3 {
		o := fmt.Sprintf("L%04d", i)
		b.Lists.Empty = append(b.Lists.Empty, indicators.EmptyOrder{Outlet: o, Name: "王记便利店", Manager: "M01", Missed: 3 + i, LastStatus: "failed", LastReason: "余额不足"})
		b.Lists.UploadGaps = append(b.Lists.UploadGaps, indicators.UploadGap{Outlet: o, Name: "王记便利店", Manager: "M01"})
		b.Lists.Failed = append(b.Lists.Failed, indicators.FailedOrder{Order: int64(i), Outlet: o, Cycle: p.Start, TotalCents: 12000, Reason: "insufficient balance"})
		b.Lists.LowBalance = append(b.Lists.LowBalance, indicators.LowBalance{Outlet: o, BalanceCents: -5, LastPaidCents: 12000, LastCycle: p.Start})
	}
	return b, nil
}

func (s *fuzzService) TargetsFor(context.Context, string) ([]indicators.Target, error) {
	return s.targets, nil
}

func (s *fuzzService) SetTargets(_ context.Context, set, remove []indicators.Target) error {
	for _, t := range set {
		if err := indicators.CheckTarget(t); err != nil {
			return err
		}
	}
	s.targets = append(s.targets, set...)
	return nil
}

func (s *fuzzService) Trend(_ context.Context, q indicators.TrendQuery) (indicators.Trend, error) {
	if q.Weeks < 1 || q.Weeks > indicators.MaxTrendWeeks {
		return indicators.Trend{}, fmt.Errorf("%w: weeks %d", indicators.ErrInvalid, q.Weeks)
	}
	t := indicators.Trend{Level: q.Level, Stock: []indicators.BrandStock{}}
	last, err := indicators.PeriodOf(indicators.Week, q.Date)
	if err != nil {
		return indicators.Trend{}, err
	}
	for w := q.Weeks - 1; w >= 0; w-- {
		p := indicators.Period{Kind: indicators.Week, Start: last.Start.AddDate(0, 0, -7*w), End: last.End.AddDate(0, 0, -7*w)}
		t.Weeks = append(t.Weeks, indicators.TrendWeek{Period: p, Rows: []indicators.Row{fuzzRow(q.Level, "M01", p)},
			Company: fuzzRow(indicators.AtCompany, "", p)})
	}
	return t, nil
}

// fuzzScope makes manager principals account manager M01; others have no scope.
type fuzzScope struct{}

func (fuzzScope) ManagedScope(_ context.Context, p retailer.Principal) (string, []string, error) {
	if p.Role != retailer.RoleManager {
		return "", nil, nil
	}
	return "M01", []string{"L0000", "L0001"}, nil
}

var fuzzPrincipals = []retailer.Principal{
	{UserID: 1, Username: "r1", Role: retailer.RoleRetailer, OutletID: 1},
	{UserID: 2, Username: "m1", Role: retailer.RoleManager, ManagerID: 5},
	{UserID: 4, Username: "p", Role: retailer.RolePlanner},
	{UserID: 5, Username: "a", Role: retailer.RoleAdmin},
	{UserID: 6, Username: "l", Role: retailer.RoleLogistics},
	{UserID: 7, Username: "f", Role: retailer.RoleManufacturer, ManufacturerID: 2},
}

// FuzzIndicatorsRequests sends any query, Accept header and body to every indicators route (the
// indicators, the bulletin with its lists and exports, the trend, the targets), as every role:
// never a panic, never a 5xx, every 4xx a problem. Run for longer with:
// go test -run '^$' -fuzz '^FuzzIndicatorsRequests$' -fuzztime 60s -parallel 1 ./retailer/indicators/httpapi/
func FuzzIndicatorsRequests(f *testing.F) {
	f.Add(uint8(0), uint8(2), "?period=week&date=2026-12-03&level=manager&key=M01&key=M02", "", "")
	f.Add(uint8(0), uint8(1), "?period=month&level=outlet&format=xlsx", "", "")
	f.Add(uint8(0), uint8(1), "?period=year&date=2026-02-30&level=area", "text/csv", "")
	f.Add(uint8(0), uint8(3), "?date=0000-01-01&format=csv", "", "")
	f.Add(uint8(1), uint8(1), "", "", "")
	f.Add(uint8(2), uint8(2), "", "", `{"targets":[{"indicator":"order_success_rate","scope":"company","key":"","value":0.95},{"indicator":"upload_rate","scope":"manager","key":"M01","value":null}]}`)
	f.Add(uint8(2), uint8(3), "", "", `{"targets":[{"indicator":"nope","scope":"outlet","key":"\u0000","value":1e308}]}`)
	f.Add(uint8(2), uint8(1), "", "", `{"targets":[]}`)
	f.Add(uint8(3), uint8(1), "?date=2026-12-03&filter=failed&limit=2&offset=1", "", "")
	f.Add(uint8(3), uint8(2), "?manager=M02&filter=not_ordered,low_balance&format=csv", "", "")
	f.Add(uint8(3), uint8(2), "?filter=failed&filter=x&limit=0&offset=-1&format=xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "")
	f.Add(uint8(3), uint8(3), "?limit=1000&offset=2147483647", "", "")
	f.Add(uint8(4), uint8(2), "?weeks=12&date=2026-12-03&level=manager&key=M01", "", "")
	f.Add(uint8(4), uint8(1), "?weeks=54&level=area", "", "")
	routes := []struct{ method, path string }{
		{"GET", "/indicators"}, {"GET", "/indicators/targets"}, {"PUT", "/indicators/targets"}, {"GET", "/bulletin"},
		{"GET", "/indicators/trend"},
	}
	f.Fuzz(func(t *testing.T, route, as uint8, query, accept, body string) {
		r := routes[int(route)%len(routes)]
		if query != "" && !strings.HasPrefix(query, "?") {
			query = "?" + query
		}
		// What an HTTP client can send: no control characters or spaces in the request line (a client
		// escapes them), no malformed percent escape, none but tab in a header value.
		if strings.IndexFunc(query, func(r rune) bool { return r < 0x21 || r == 0x7f || r == '#' }) >= 0 ||
			strings.IndexFunc(accept, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) >= 0 {
			t.Skip()
		}
		path := "/api/v1" + r.path + query
		if _, err := url.ParseRequestURI(path); err != nil {
			t.Skip()
		}
		svc := &fuzzService{targets: []indicators.Target{{Indicator: indicators.OrderSuccess, Scope: indicators.AtCompany, Value: 0.95,
			SetBy: "p", SetAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}}}
		h := httpapi.New(svc, fuzzScope{}, func() time.Time { return time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC) }).WithTrends(svc)
		who := fuzzPrincipals[int(as)%len(fuzzPrincipals)]
		e := echo.New()
		e.HTTPErrorHandler = problem.NewRenderer(h.Problems()).Handler(slog.New(slog.NewTextHandler(io.Discard, nil)))
		authed := e.Group("/api/v1", func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				c.SetRequest(c.Request().WithContext(retailer.WithPrincipal(c.Request().Context(), who)))
				return next(c)
			}
		})
		h.Register(e.Group("/api/v1"), authed)
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req := httptest.NewRequest(r.method, path, rd)
		if body != "" {
			req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		}
		if accept != "" {
			req.Header.Set(echo.HeaderAccept, accept)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s as %s, Accept %q, body %q: %d %s", r.method, path, who.Role, accept, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && rec.Code != http.StatusMethodNotAllowed {
			if ct := rec.Header().Get(echo.HeaderContentType); ct != problem.MediaType {
				t.Fatalf("%s %s as %s: %d with Content-Type %q; want a problem", r.method, path, who.Role, rec.Code, ct)
			}
		}
	})
}
