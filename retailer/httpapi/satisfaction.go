package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/retailer"
)

// SatisfactionStore records and reads customer-satisfaction scores with the caller's authorization in
// the query (retailer/postgres.Store). PutSatisfaction returns retailer.ErrForbidden for a caller who
// is not an account manager and retailer.ErrNotFound for an outlet the manager does not look after.
type SatisfactionStore interface {
	PutSatisfaction(ctx context.Context, p retailer.Principal, outletID int64, month time.Time, score float64,
		comment string, now time.Time) (retailer.SatisfactionScore, bool, error)
	Satisfaction(ctx context.Context, p retailer.Principal, f retailer.SatisfactionFilter) ([]retailer.SatisfactionScore, error)
}

// WithSatisfaction adds customer satisfaction: PUT /outlets/{id}/satisfaction/{month} (an account
// manager records its outlet's monthly score with a comment) and GET /satisfaction (the scores a
// manager's outlets or, for planners, every outlet got).
func (h *Handler) WithSatisfaction(s SatisfactionStore) { h.satisfaction = s }

type satisfactionRequest struct {
	Score   *float64 `json:"score"`
	Comment string   `json:"comment"`
}

type satisfactionJSON struct {
	Outlet     int64      `json:"outlet"`
	Licence    string     `json:"licence"`
	Month      string     `json:"month"`
	Score      float64    `json:"score"`
	Comment    string     `json:"comment"`
	RecordedBy *string    `json:"recorded_by"` // null for scores loaded with the demo region
	RecordedAt *time.Time `json:"recorded_at"`
}

func satisfactionOf(s retailer.SatisfactionScore) satisfactionJSON {
	v := satisfactionJSON{Outlet: s.OutletID, Licence: s.Licence, Month: s.Month.Format("2006-01"), Score: s.Score,
		Comment: s.Comment}
	if s.RecordedBy != "" {
		by := s.RecordedBy
		v.RecordedBy = &by
	}
	if !s.RecordedAt.IsZero() {
		at := s.RecordedAt.UTC()
		v.RecordedAt = &at
	}
	return v
}

func (h *Handler) putSatisfaction(c echo.Context) error {
	p, _ := retailer.PrincipalFrom(c.Request().Context())
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("%w: outlet %q", retailer.ErrNotFound, c.Param("id"))
	}
	if p.Role != retailer.RoleManager {
		return retailer.Forbidden("only the outlet's account manager records its satisfaction score")
	}
	var req satisfactionRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	fields := map[string]string{}
	month, ok := retailer.ParseMonth(c.Param("month"))
	if !ok {
		fields["month"] = "want a month as YYYY-MM"
	}
	if req.Score == nil {
		fields["score"] = "required: a score from 0 to 100"
	}
	if len(fields) > 0 {
		return &retailer.ValidationError{Fields: fields}
	}
	now := h.now()
	if err := retailer.ValidateSatisfaction(month, *req.Score, req.Comment, now); err != nil {
		return err
	}
	s, created, err := h.satisfaction.PutSatisfaction(c.Request().Context(), p, id, month, *req.Score,
		strings.TrimSpace(req.Comment), now)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, satisfactionOf(s))
}

type satisfactionPage struct {
	Scores []satisfactionJSON `json:"scores"`
	Next   string             `json:"next,omitempty"` // the query of the next page
}

func (h *Handler) listSatisfaction(c echo.Context) error {
	p, _ := retailer.PrincipalFrom(c.Request().Context())
	switch p.Role {
	case retailer.RoleManager, retailer.RolePlanner, retailer.RoleAdmin:
	default:
		return retailer.Forbidden("satisfaction scores are for account managers and planners")
	}
	f := retailer.SatisfactionFilter{Limit: 100}
	fields := map[string]string{}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPageSize {
			fields["limit"] = fmt.Sprintf("want 1 to %d", MaxPageSize)
		}
		f.Limit = n
	}
	if v := c.QueryParam("month"); v != "" {
		m, ok := retailer.ParseMonth(v)
		if !ok {
			fields["month"] = "want a month as YYYY-MM"
		}
		f.Month = m
	}
	if v := c.QueryParam("outlet"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			fields["outlet"] = "want an outlet id"
		}
		f.Outlet = n
	}
	if v := c.QueryParam("after"); v != "" {
		id, month, _ := strings.Cut(v, "/")
		n, err := strconv.ParseInt(id, 10, 64)
		m, ok := retailer.ParseMonth(month)
		if err != nil || n < 0 || !ok {
			fields["after"] = "want the next link's outlet/YYYY-MM"
		}
		f.AfterOutlet, f.AfterMonth = n, m
	}
	if len(fields) > 0 {
		return &retailer.ValidationError{Fields: fields}
	}
	list, err := h.satisfaction.Satisfaction(c.Request().Context(), p, f)
	if err != nil {
		return err
	}
	page := satisfactionPage{Scores: make([]satisfactionJSON, len(list))}
	for i, s := range list {
		page.Scores[i] = satisfactionOf(s)
	}
	if len(list) == f.Limit {
		last := list[len(list)-1]
		q := url.Values{}
		for _, name := range []string{"month", "outlet"} {
			if v := c.QueryParam(name); v != "" {
				q.Set(name, v)
			}
		}
		q.Set("limit", strconv.Itoa(f.Limit))
		q.Set("after", fmt.Sprintf("%d/%s", last.OutletID, last.Month.Format("2006-01")))
		page.Next = "?" + q.Encode()
	}
	return c.JSON(http.StatusOK, page)
}
