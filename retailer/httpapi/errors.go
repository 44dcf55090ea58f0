package httpapi

import (
	"net/http"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
	"github.com/ordercast/ordercast/retailer"
	"github.com/ordercast/ordercast/retailer/grading"
)

// Problems is how the retailer domain's errors answer over HTTP; the server renders every error a
// handler returns with it.
func (h *Handler) Problems() problem.Table { return problems }

var problems = problem.Table{
	{Err: retailer.ErrInvalid, Status: http.StatusUnprocessableEntity, Type: "invalid-fields", Detail: "the request has invalid fields"},
	{Err: retailer.ErrInvalidCredentials, Status: http.StatusUnauthorized, Type: "invalid-credentials", Detail: "invalid username or password"},
	{Err: retailer.ErrTooManyAttempts, Status: http.StatusTooManyRequests, Type: "too-many-logins", Detail: "too many login attempts from this address or for this account; try again in a minute"},
	{Err: retailer.ErrBusy, Status: http.StatusServiceUnavailable, Type: "logins-busy", Detail: "too many logins in progress; try again in a second"},
	{Err: retailer.ErrUnauthenticated, Status: http.StatusUnauthorized, Type: "unauthenticated", Detail: "missing, malformed, expired or revoked bearer token; log in with POST /api/v1/sessions"},
	{Err: retailer.ErrForbidden, Status: http.StatusForbidden, Type: "forbidden", Detail: "your role may not do this"},
	{Err: retailer.ErrNotFound, Status: http.StatusNotFound, Type: "not-found", Detail: "no such object"},
	{Err: retailer.ErrUsernameTaken, Status: http.StatusConflict, Type: "username-taken", Detail: "that username is taken"},
	{Err: retailer.ErrBenchmarkLimit, Status: http.StatusConflict, Type: "benchmark-limit", Detail: "an account manager has at most two benchmark outlets; unset one first"},
	{Err: retailer.ErrOpenOrder, Status: http.StatusConflict, Type: "outlet-has-open-order", Detail: "the outlet's order day cannot change while it has a submitted order"},
	{Err: grading.ErrInvalidRule, Status: http.StatusUnprocessableEntity, Type: "invalid-grading-rule", Detail: "the grading rule's parameters are out of bounds"},
	{Err: retailer.ErrUnavailable, Status: http.StatusServiceUnavailable, Type: "unavailable",
		Detail: "a store is unavailable; nothing was changed, try again later", RetryAfter: retailer.UnavailableRetry},
}
