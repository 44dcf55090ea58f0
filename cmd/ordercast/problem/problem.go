// Package problem is the one error path of ordercast's HTTP API: every handler returns its error as it
// is, and the server renders it as an RFC 9457 problem details body (application/problem+json).
//
// Each HTTP adapter declares, as data and in one place, how its domain's errors answer: a Table of
// Mappings from a sentinel (matched with errors.Is) to a status, a stable problem type and a detail
// written for the API's users. The server hands every adapter's table to Handler at wiring time. The
// error's chain may add to the body through these methods, found with errors.As:
//
//   - FieldErrors() map[string]string: field-level detail for invalid input, rendered as the sorted
//     "errors" list of {field, detail};
//   - Detail() string: a sentence for the user about this occurrence ("the order is paid", a closed
//     window's times), which takes the place of the table's general detail;
//   - RetryAfter() time.Duration: when to try again (a 429 or 503), sent as a Retry-After header of
//     whole seconds, rounded up, in place of the table's RetryAfter.
//
// The table of the adapter whose route failed is searched first (Scope), then every table: two
// adapters may answer one sentinel differently (a cycle not found is "no such cycle" to the planner's
// allocation). An error no table knows becomes a 500 whose body says nothing of its cause; the cause
// is logged.
package problem

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// MediaType is the content type of every error response.
const MediaType = "application/problem+json"

// Body is an RFC 9457 problem details body.
type Body struct {
	Type   string            `json:"type"`
	Title  string            `json:"title"`
	Status int               `json:"status"`
	Detail string            `json:"detail,omitempty"`
	Errors []Field           `json:"errors,omitempty"` // field-level detail for invalid input
	Stores map[string]string `json:"stores,omitempty"` // store states, on /readyz
	// RetryAfter, when positive, is sent as the Retry-After header, in whole seconds (rounded up).
	RetryAfter time.Duration `json:"-"`
}

// Field says what is wrong with one field of the request.
type Field struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Mapping says how one domain error answers over HTTP.
type Mapping struct {
	Err    error  // matched anywhere in the returned error's chain with errors.Is
	Status int    // a 4xx or 503
	Type   string // stable slug of the problem type, served as "/problems/<Type>"
	Detail string // for the API's users, unless the chain has a Detail() of its own
	// RetryAfter, when positive, tells clients when to try again: the Retry-After header, in whole
	// seconds (rounded up). For a 503 or 429 whose cause passes.
	RetryAfter time.Duration
}

// Table is an adapter's mappings; the first that matches wins.
type Table []Mapping

// ErrInvalid is invalid input found by an adapter itself (path and query parameters, missing body
// fields): Invalid wraps it with the fields. It answers 422 invalid-fields.
var ErrInvalid = errors.New("invalid request fields")

// FieldErrors is invalid input, field by field.
type FieldErrors map[string]string

func (f FieldErrors) Error() string                  { return "invalid request fields: " + fieldList(f) }
func (f FieldErrors) Unwrap() error                  { return ErrInvalid }
func (f FieldErrors) FieldErrors() map[string]string { return f }

// Invalid returns an error for invalid fields: field name → what is wrong, for the API's users.
func Invalid(fields map[string]string) error { return FieldErrors(fields) }

// common is what every adapter shares: input the server's binder or an adapter refuses.
var common = Table{
	{Err: ErrInvalid, Status: http.StatusUnprocessableEntity, Type: "invalid-fields", Detail: "the request has invalid fields"},
	{Err: ErrUnknownQuery, Status: http.StatusBadRequest, Type: "unknown-query-parameter",
		Detail: "the request names query parameters this route does not take"},
}

// types gives every status a stable type when no mapping names one; clients match on the type.
var types = map[int]string{
	http.StatusBadRequest:            "invalid-request",
	http.StatusUnauthorized:          "unauthenticated",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not-found",
	http.StatusMethodNotAllowed:      "method-not-allowed",
	http.StatusConflict:              "conflict",
	http.StatusRequestTimeout:        "body-timeout",
	http.StatusRequestEntityTooLarge: "body-too-large",
	http.StatusUnprocessableEntity:   "unprocessable",
	http.StatusTooManyRequests:       "too-many-requests",
	http.StatusInternalServerError:   "internal",
	http.StatusServiceUnavailable:    "unavailable",
}

// New returns the body of a status with its default type.
func New(status int, detail string) Body {
	slug, ok := types[status]
	if !ok {
		slug = "http-" + strconv.Itoa(status)
	}
	return Body{Type: "/problems/" + slug, Title: http.StatusText(status), Status: status, Detail: detail}
}

// Write sends b as the response.
func Write(c echo.Context, b Body) error {
	c.Response().Header().Set(echo.HeaderContentType, MediaType)
	if b.RetryAfter > 0 {
		secs := (b.RetryAfter + time.Second - 1) / time.Second
		c.Response().Header().Set("Retry-After", strconv.FormatInt(int64(secs), 10))
	}
	return c.JSON(b.Status, b)
}

// Renderer turns errors into problem bodies with the adapters' tables.
type Renderer struct {
	tables []Table
	// lost reports whether an error no table knows says that a store could not be reached; such an
	// error answers 503 with Retry-After instead of 500. Nil: none does.
	lost func(error) bool
}

// UnavailableRetry is the Retry-After of a 503 for a store that could not be reached.
const UnavailableRetry = 5 * time.Second

// WhenStoreLost makes the renderer answer 503 unavailable, with Retry-After, to an error that no
// table maps and that lost reports as a lost store connection, wherever in the code it came from.
func (r *Renderer) WhenStoreLost(lost func(error) bool) *Renderer {
	r.lost = lost
	return r
}

// NewRenderer returns a Renderer of the tables, searched in order after the common mappings.
func NewRenderer(tables ...Table) *Renderer {
	return &Renderer{tables: append([]Table{common}, tables...)}
}

// scopeKey is where Scope keeps the table of the adapter serving the request, in echo's context.
const scopeKey = "problem.scope"

// Scope is the middleware of an adapter's routes: their errors are looked up in t first.
func Scope(t Table) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Set(scopeKey, t)
			return next(c)
		}
	}
}

// Of returns the body err answers with. known is false when nothing maps err: the body is then a 500
// without detail, and the caller must log err.
func (r *Renderer) Of(err error) (b Body, known bool) { return r.of(err, nil) }

// of is Of with the table of the adapter that served the request searched first.
func (r *Renderer) of(err error, scoped Table) (b Body, known bool) {
	var he *echo.HTTPError
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		b = New(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", tooLarge.Limit))
	case errors.Is(err, os.ErrDeadlineExceeded):
		b = New(http.StatusRequestTimeout, "the request body did not arrive in time")
	case errors.As(err, &he):
		// echo's own errors (no route, wrong method) and a few raised by the server's middleware.
		if he.Code >= 500 {
			return New(http.StatusInternalServerError, ""), false
		}
		detail, _ := he.Message.(string)
		b = New(he.Code, detail)
	default:
		m, ok := r.mapping(err, scoped)
		if !ok && r.lost != nil && r.lost(err) {
			m, ok = Mapping{Status: http.StatusServiceUnavailable, Type: "unavailable",
				Detail: "a store is not answering; try again", RetryAfter: UnavailableRetry}, true
		}
		if !ok {
			return New(http.StatusInternalServerError, ""), false
		}
		b = New(m.Status, m.Detail)
		b.Type = "/problems/" + m.Type
		b.RetryAfter = m.RetryAfter
	}
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) && ra.RetryAfter() > 0 {
		b.RetryAfter = ra.RetryAfter()
	}
	var d interface{ Detail() string }
	if errors.As(err, &d) && d.Detail() != "" {
		b.Detail = d.Detail()
	}
	if b.Detail == "" {
		b.Detail = b.Title
	}
	var fe interface{ FieldErrors() map[string]string }
	if errors.As(err, &fe) {
		for name, msg := range fe.FieldErrors() {
			b.Errors = append(b.Errors, Field{Field: name, Detail: msg})
		}
		sort.Slice(b.Errors, func(i, j int) bool { return b.Errors[i].Field < b.Errors[j].Field })
	}
	return b, b.Status < 500 || b.Status == http.StatusServiceUnavailable
}

func (r *Renderer) mapping(err error, scoped Table) (Mapping, bool) {
	for _, t := range append([]Table{scoped}, r.tables...) {
		for _, m := range t {
			if errors.Is(err, m.Err) {
				return m, true
			}
		}
	}
	return Mapping{}, false
}

// Handler is the server's echo.HTTPErrorHandler: it renders err as a problem body. A 5xx is logged
// with its cause and answered without it, so internals never leak; an error raised after the response
// was sent is logged, since it can no longer be answered.
func (r *Renderer) Handler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		req := c.Request()
		if c.Response().Committed {
			log.Warn("error after the response was sent", "route", c.Path(), "method", req.Method, "err", err,
				"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
			return
		}
		if errors.Is(err, echo.ErrNotFound) || errors.Is(err, echo.ErrMethodNotAllowed) {
			c.Set("unmatched", true)
		}
		scoped, _ := c.Get(scopeKey).(Table)
		b, known := r.of(err, scoped)
		switch {
		case !known:
			log.Error("request failed", "route", c.Path(), "method", req.Method, "err", err,
				"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
		case b.Status == http.StatusServiceUnavailable:
			log.Warn("request answered unavailable", "route", c.Path(), "method", req.Method, "err", err,
				"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
		}
		if werr := Write(c, b); werr != nil {
			log.Warn("write problem response", "err", werr)
		}
	}
}

func fieldList(f map[string]string) string {
	names := make([]string, 0, len(f))
	for name := range f {
		names = append(names, name)
	}
	sort.Strings(names)
	s := ""
	for i, name := range names {
		if i > 0 {
			s += "; "
		}
		s += name + ": " + f[name]
	}
	return s
}
