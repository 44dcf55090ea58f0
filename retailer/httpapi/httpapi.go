// Package httpapi is the retailer domain's HTTP adapter: sessions (log in, log out), the bearer-token
// authentication every other route sits behind, outlet profiles, the outlet list an account manager
// watches (status, last order, uploads, balance), terminal scan uploads, and the account manager's work
// on its outlets (visits, benchmark outlets with their weekly figures) with the planners' reassignments
// of outlets and their audit trail, under /api/v1.
//
// Handlers return domain errors as they are; Problems says how each answers, and the server renders
// them as application/problem+json.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
	"github.com/ordercast/ordercast/retailer"
)

// OutletReader reads outlet profiles with the caller's authorization applied in the query. It returns
// an error wrapping retailer.ErrNotFound for an outlet the principal may not see. Safe for concurrent use.
type OutletReader interface {
	Outlet(ctx context.Context, p retailer.Principal, id int64) (retailer.Profile, error)
}

// Handler serves the retailer routes.
type Handler struct {
	sessions *retailer.Sessions
	outlets  OutletReader
	now      func() time.Time
	scans    *scanUploads // nil: no scan uploads (WithScans)

	overviews OverviewReader // nil: no outlet list (WithOverviews)
	uploads   UploadReader

	satisfaction SatisfactionStore // nil: no satisfaction routes (WithSatisfaction)

	grades      Grades // nil: no grade routes (WithGrades)
	gradeReader GradeReader
	idempotent  echo.MiddlewareFunc

	loginFailures *prometheus.CounterVec // reason; nil: not counted (WithLoginMetrics)

	work *managerWork // nil: no visits, benchmarks or reassignments (WithManagerWork)

	// clientIP says which address a login comes from, for the per-client login budgets.
	clientIP echo.IPExtractor
}

// WithClientIP sets how a login's client address is found: echo.ExtractIPDirect() (the default: the
// peer's address) when no proxy is trusted, or echo.ExtractIPFromXFFHeader trusting exactly the
// configured proxies, so that only a trusted peer's X-Forwarded-For is believed, and then only its
// right-most untrusted address.
func (h *Handler) WithClientIP(extract echo.IPExtractor) { h.clientIP = extract }

// WithLoginMetrics registers ordercast_login_failures_total{reason} on reg and counts failed logins
// from then on: invalid_credentials, too_many_attempts (throttled), busy (no hashing slot), error.
func (h *Handler) WithLoginMetrics(reg prometheus.Registerer) error {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ordercast_login_failures_total",
		Help: "Failed logins by reason: invalid_credentials, too_many_attempts (throttled), busy (no hashing slot), error.",
	}, []string{"reason"})
	if err := reg.Register(c); err != nil {
		return err
	}
	for _, r := range []string{"invalid_credentials", "too_many_attempts", "busy", "error"} {
		c.WithLabelValues(r)
	}
	h.loginFailures = c
	return nil
}

// New returns a Handler. now is the clock (time.Now outside tests).
func New(sessions *retailer.Sessions, outlets OutletReader, now func() time.Time) *Handler {
	return &Handler{sessions: sessions, outlets: outlets, now: now, clientIP: echo.ExtractIPDirect()}
}

// Register adds the routes: public ones (logging in) on public, the rest on authed, which must sit
// behind Authenticate.
func (h *Handler) Register(public, authed *echo.Group) {
	public.POST("/sessions", h.login)
	authed.DELETE("/sessions/current", h.logout)
	authed.GET("/me", h.me, problem.Query())
	authed.GET("/outlets/:id", h.outlet, problem.Query())
	if h.scans != nil {
		authed.POST("/outlets/:id/scans", h.uploadScans)
	}
	if h.overviews != nil {
		authed.GET("/outlets", h.listOutlets, problem.Query("status", "limit", "after", "licence"))
		authed.GET("/outlets/:id/scans", h.listScanBatches, problem.Query("limit"))
	}
	if h.satisfaction != nil {
		authed.PUT("/outlets/:id/satisfaction/:month", h.putSatisfaction)
		authed.GET("/satisfaction", h.listSatisfaction, problem.Query("month", "outlet", "limit", "after"))
	}
	if h.grades != nil {
		authed.GET("/grades", h.previewGrades,
			problem.Query("weeks", "amount_weight", "max_step", "changed", "limit", "after"))
		authed.POST("/grades", h.publishGrades, h.idempotent)
		authed.GET("/outlets/:id/grade", h.outletGrade, problem.Query())
	}
	h.registerWork(authed)
}

// Authenticate is the middleware that admits requests with a live bearer token and puts its principal
// in the request's context (retailer.PrincipalFrom).
func (h *Handler) Authenticate() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			token, ok := bearer(c.Request())
			if !ok {
				return fmt.Errorf("%w: send Authorization: Bearer <token> (POST /api/v1/sessions)", retailer.ErrUnauthenticated)
			}
			p, err := h.sessions.Authenticate(c.Request().Context(), token, h.now())
			if err != nil {
				return err
			}
			c.SetRequest(c.Request().WithContext(retailer.WithPrincipal(c.Request().Context(), p)))
			return next(c)
		}
	}
}

func bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type sessionResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      userJSON  `json:"user"`
}

type userJSON struct {
	Username string `json:"username"`
	Role     string `json:"role"`
	OutletID int64  `json:"outlet_id,omitempty"`
}

func (h *Handler) login(c echo.Context) error {
	var req loginRequest
	if err := c.Bind(&req); err != nil { // the server's binder: strict JSON, unknown fields refused
		return err
	}
	missing := map[string]string{}
	if req.Username == "" {
		missing["username"] = "required"
	}
	if req.Password == "" {
		missing["password"] = "required"
	}
	if len(missing) > 0 {
		return &retailer.ValidationError{Fields: missing}
	}
	client := h.clientIP(c.Request())
	s, err := h.sessions.Login(c.Request().Context(), req.Username, req.Password, client, h.now())
	if err != nil {
		if h.loginFailures != nil {
			reason := "error"
			switch {
			case errors.Is(err, retailer.ErrInvalidCredentials):
				reason = "invalid_credentials"
			case errors.Is(err, retailer.ErrTooManyAttempts):
				reason = "too_many_attempts"
			case errors.Is(err, retailer.ErrBusy):
				reason = "busy"
			}
			h.loginFailures.WithLabelValues(reason).Inc()
		}
		return err
	}
	return c.JSON(http.StatusCreated, sessionResponse{Token: s.Token, ExpiresAt: s.ExpiresAt.UTC(), User: userOf(s.Principal)})
}

func userOf(p retailer.Principal) userJSON {
	return userJSON{Username: p.Username, Role: string(p.Role), OutletID: p.OutletID}
}

func (h *Handler) logout(c echo.Context) error {
	token, _ := bearer(c.Request())
	if err := h.sessions.Logout(c.Request().Context(), token, h.now()); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type meResponse struct {
	User   userJSON     `json:"user"`
	Outlet *profileJSON `json:"outlet,omitempty"`
}

type profileJSON struct {
	ID              int64  `json:"id"`
	Licence         string `json:"licence"`
	Name            string `json:"name"`
	Address         string `json:"address"`
	Area            string `json:"area"`
	Format          string `json:"business_format"`
	Rural           bool   `json:"rural"`
	Grade           int    `json:"grade"`
	OrderDay        string `json:"order_day"`
	Route           string `json:"route"`
	ManagerCode     string `json:"manager_code"`
	ManagerName     string `json:"manager_name"`
	CreditLevel     string `json:"credit_level"`
	Benchmark       bool   `json:"benchmark"`
	CollectionPoint bool   `json:"collection_point"`
	BalanceCents    int64  `json:"balance_cents"`
	Status          string `json:"status"`
}

func profileOf(p retailer.Profile) *profileJSON {
	return &profileJSON{
		ID: p.ID, Licence: p.Licence, Name: p.Name, Address: p.Address, Area: p.Area, Format: string(p.Format),
		Rural: p.Rural, Grade: p.Grade, OrderDay: p.OrderDay.String(), Route: p.Route, ManagerCode: p.Manager,
		ManagerName: p.ManagerName, CreditLevel: p.CreditLevel, Benchmark: p.Benchmark,
		CollectionPoint: p.CollectionPoint, BalanceCents: p.BalanceCents, Status: string(p.Status),
	}
}

func (h *Handler) me(c echo.Context) error {
	p, _ := retailer.PrincipalFrom(c.Request().Context())
	res := meResponse{User: userOf(p)}
	if p.Role == retailer.RoleRetailer {
		pr, err := h.outlets.Outlet(c.Request().Context(), p, p.OutletID)
		if err != nil {
			return err
		}
		res.Outlet = profileOf(pr)
	}
	return c.JSON(http.StatusOK, res)
}

func (h *Handler) outlet(c echo.Context) error {
	p, _ := retailer.PrincipalFrom(c.Request().Context())
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("%w: outlet %q", retailer.ErrNotFound, c.Param("id"))
	}
	pr, err := h.outlets.Outlet(c.Request().Context(), p, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, profileOf(pr))
}
