package httpapi

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/retailer"
)

// errorStatus maps the ordering domain's errors to HTTP: status, stable problem type, detail.
var errorStatus = []struct {
	err    error
	status int
	typ    string
	detail string
}{
	{ordering.ErrNotFound, http.StatusNotFound, "not-found", "no such object"},
	{retailer.ErrNotFound, http.StatusNotFound, "not-found", "no such object"},
	{errForbidden, http.StatusForbidden, "forbidden", "only the outlet's retailer may order for it"},
	{ordering.ErrLimitExceeded, http.StatusConflict, "limit-exceeded", ""},
	{ordering.ErrOutletInactive, http.StatusConflict, "outlet-inactive", "a suspended or closed outlet cannot order"},
	{ordering.ErrConflict, http.StatusConflict, "order-state-conflict", ""},
	{ordering.ErrNotOnSale, http.StatusUnprocessableEntity, "not-on-sale", ""},
	{ordering.ErrIdempotencyKeyReused, http.StatusUnprocessableEntity, "idempotency-key-reused", "this Idempotency-Key was used with another request"},
	{ordering.ErrIdempotencyInFlight, http.StatusConflict, "idempotency-in-flight", "the first request with this Idempotency-Key is still in progress"},
}

// problem is a domain error with the problem type the server renders it with.
type problem struct {
	typ string
	err error
}

func (p problem) Error() string       { return p.err.Error() }
func (p problem) Unwrap() error       { return p.err }
func (p problem) ProblemType() string { return p.typ }

// httpError turns a domain error into the HTTP error the server renders; an unknown error stays as it
// is and becomes a 500 that hides its text. A closed window answers 409 with the window's times.
func httpError(err error) error {
	var invalid *ordering.ValidationError
	if errors.As(err, &invalid) {
		return &echo.HTTPError{Code: http.StatusUnprocessableEntity, Message: "the request has invalid fields",
			Internal: problem{"invalid-fields", err}}
	}
	var closed *ordering.WindowClosedError
	if errors.As(err, &closed) {
		return &echo.HTTPError{Code: http.StatusConflict, Message: closed.Error()[len("ordering: "):],
			Internal: problem{"window-closed", err}}
	}
	for _, e := range errorStatus {
		if errors.Is(err, e.err) {
			detail := e.detail
			if detail == "" {
				detail = err.Error()
			}
			return &echo.HTTPError{Code: e.status, Message: detail, Internal: problem{e.typ, err}}
		}
	}
	return err
}
