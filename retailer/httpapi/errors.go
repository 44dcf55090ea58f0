package httpapi

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/retailer"
)

// errorStatus maps the retailer domain's errors to HTTP: status, stable problem type, detail.
var errorStatus = []struct {
	err    error
	status int
	typ    string
	detail string
}{
	{retailer.ErrInvalidCredentials, http.StatusUnauthorized, "invalid-credentials", "invalid username or password"},
	{retailer.ErrTooManyAttempts, http.StatusTooManyRequests, "too-many-logins", "too many failed logins for this account; try again in a minute"},
	{retailer.ErrUnauthenticated, http.StatusUnauthorized, "unauthenticated", "missing, malformed, expired or revoked bearer token"},
	{retailer.ErrForbidden, http.StatusForbidden, "forbidden", "your role may not do this; scans are uploaded by the outlet's retailer"},
	{retailer.ErrNotFound, http.StatusNotFound, "not-found", "no such object"},
	{retailer.ErrUsernameTaken, http.StatusConflict, "username-taken", "that username is taken"},
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
// is and becomes a 500 that hides its text.
func httpError(err error) error {
	var invalid *retailer.ValidationError
	if errors.As(err, &invalid) {
		return &echo.HTTPError{Code: http.StatusUnprocessableEntity, Message: "the request has invalid fields",
			Internal: problem{"invalid-fields", err}}
	}
	for _, e := range errorStatus {
		if errors.Is(err, e.err) {
			return &echo.HTTPError{Code: e.status, Message: e.detail, Internal: problem{e.typ, err}}
		}
	}
	return err
}
