package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"

	"github.com/labstack/echo/v4"
)

// problem is an RFC 9457 problem details body, served as application/problem+json.
type problem struct {
	Type   string            `json:"type"`
	Title  string            `json:"title"`
	Status int               `json:"status"`
	Detail string            `json:"detail,omitempty"`
	Errors []fieldProblem    `json:"errors,omitempty"` // field-level detail for invalid input
	Stores map[string]string `json:"stores,omitempty"` // store states, on /readyz
}

// fieldProblem says what is wrong with one field of the request.
type fieldProblem struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// problemTypes gives every status a stable type URI; clients match on it, not on the text.
var problemTypes = map[int]string{
	http.StatusBadRequest:            "invalid-request",
	http.StatusUnauthorized:          "unauthenticated",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not-found",
	http.StatusMethodNotAllowed:      "method-not-allowed",
	http.StatusConflict:              "conflict",
	http.StatusRequestEntityTooLarge: "body-too-large",
	http.StatusUnprocessableEntity:   "unprocessable",
	http.StatusTooManyRequests:       "too-many-requests",
	http.StatusInternalServerError:   "internal",
	http.StatusServiceUnavailable:    "unavailable",
}

func newProblem(status int, detail string) problem {
	slug, ok := problemTypes[status]
	if !ok {
		slug = "http-" + fmt.Sprint(status)
	}
	return problem{Type: "/problems/" + slug, Title: http.StatusText(status), Status: status, Detail: detail}
}

func writeProblem(c echo.Context, p problem) error {
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	return c.JSON(p.Status, p)
}

// The domain adapters' errors tell the handler how to answer through these methods, found anywhere
// in the error's chain.
type (
	// problemTyper gives the stable problem type, e.g. "limit-exceeded".
	problemTyper interface{ ProblemType() string }
	// fieldErrorer gives field-level detail for invalid input: field name → what is wrong.
	fieldErrorer interface{ FieldErrors() map[string]string }
)

// problemHandler renders every error a handler returns as problem+json: the status and detail of an
// *echo.HTTPError, the problem type and field errors its chain carries. Any other error, and any 5xx,
// is logged with its cause and answered without it, so internals never leak.
func problemHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status, detail := http.StatusInternalServerError, ""
		var he *echo.HTTPError
		if errors.As(err, &he) {
			status = he.Code
			if m, ok := he.Message.(string); ok {
				detail = m
			}
			if errors.Is(err, echo.ErrNotFound) || errors.Is(err, echo.ErrMethodNotAllowed) {
				c.Set("unmatched", true)
			}
		}
		if status >= 500 {
			log.Error("request failed", "route", c.Path(), "method", c.Request().Method, "err", err,
				"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
			if err := writeProblem(c, newProblem(status, "")); err != nil {
				log.Warn("write problem response", "err", err)
			}
			return
		}
		p := newProblem(status, detail)
		var typer problemTyper
		if errors.As(err, &typer) {
			p.Type = "/problems/" + typer.ProblemType()
		}
		var fields fieldErrorer
		if errors.As(err, &fields) {
			for name, msg := range fields.FieldErrors() {
				p.Errors = append(p.Errors, fieldProblem{Field: name, Detail: msg})
			}
			sort.Slice(p.Errors, func(i, j int) bool { return p.Errors[i].Field < p.Errors[j].Field })
		}
		if err := writeProblem(c, p); err != nil {
			log.Warn("write problem response", "err", err)
		}
	}
}
