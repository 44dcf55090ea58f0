package httpapi

import (
	"net/http"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/retailer"
)

// Problems is how the ordering domain's errors, and this adapter's own, answer over HTTP; the server
// renders every error a handler returns with it.
func (h *Handler) Problems() problem.Table { return problems }

var problems = problem.Table{
	{Err: ordering.ErrInvalid, Status: http.StatusUnprocessableEntity, Type: "invalid-fields", Detail: "the request has invalid fields"},
	{Err: ordering.ErrNotFound, Status: http.StatusNotFound, Type: "not-found", Detail: "no such object"},
	{Err: retailer.ErrNotFound, Status: http.StatusNotFound, Type: "not-found", Detail: "no such object"},
	{Err: errForbidden, Status: http.StatusForbidden, Type: "forbidden", Detail: "only the outlet's retailer may change its orders; its account manager may place one on its behalf"},
	{Err: errRole, Status: http.StatusForbidden, Type: "forbidden", Detail: "your role may not do this"},
	{Err: errKeyRequired, Status: http.StatusBadRequest, Type: "idempotency-key-required", Detail: "send an Idempotency-Key header: 1 to 200 printable characters, new for each new request"},
	{Err: ordering.ErrWindowClosed, Status: http.StatusConflict, Type: "window-closed"}, // detail: the window's times
	{Err: ordering.ErrLimitExceeded, Status: http.StatusConflict, Type: "limit-exceeded", Detail: "the order asks for more than the outlet's remaining limit; the lines over it are listed"},
	{Err: ordering.ErrOutletInactive, Status: http.StatusConflict, Type: "outlet-inactive", Detail: "a suspended or closed outlet cannot order"},
	{Err: ordering.ErrPublishedMeanwhile, Status: http.StatusConflict, Type: "published-meanwhile", Detail: "the brand's supply was published again since the publication was decided on, and is not replaced"},
	{Err: ordering.ErrConflict, Status: http.StatusConflict, Type: "order-state-conflict", Detail: "the order is no longer open to changes: it was confirmed, paid, failed or cancelled"},
	{Err: ordering.ErrVersionMismatch, Status: http.StatusPreconditionFailed, Type: "order-version-mismatch", Detail: "the order is not at the version of If-Match; read it again"},                                         // detail: the current version
	{Err: ordering.ErrSupplyVersionMismatch, Status: http.StatusPreconditionFailed, Type: "supply-version-mismatch", Detail: "the cycle's supply is not at the version of If-Match: it was published since; read it again"}, // detail: the current version
	{Err: ordering.ErrInsufficientBalance, Status: http.StatusUnprocessableEntity, Type: "insufficient-balance", Detail: "the order's total is above the outlet's balance less its other orders to be paid"},                // detail: the amounts
	{Err: ordering.ErrNotOnSale, Status: http.StatusUnprocessableEntity, Type: "not-on-sale", Detail: "a line names a brand that is not on sale in this cycle"},
	{Err: ordering.ErrWeek, Status: http.StatusUnprocessableEntity, Type: "invalid-fields", Detail: "a cycle is named by the Monday of its week, as YYYY-MM-DD"},
	{Err: ordering.ErrIdempotencyKeyReused, Status: http.StatusUnprocessableEntity, Type: "idempotency-key-reused", Detail: "this Idempotency-Key was used with another request"},
	{Err: ordering.ErrRelayBusy, Status: http.StatusConflict, Type: "relay-busy", Detail: "another outbox relay is running; try again when it is done"},
	// A store finds the key held before it writes, and the request is then answered from the key: this
	// reaches no client unless a handler forgets to; it is a request being answered meanwhile.
	{Err: ordering.ErrIdempotencyKeyHeld, Status: http.StatusConflict, Type: "idempotency-in-flight", Detail: "the first request with this Idempotency-Key is being answered; try again"},
	{Err: ordering.ErrIdempotencyInFlight, Status: http.StatusConflict, Type: "idempotency-in-flight", Detail: "the first request with this Idempotency-Key is still in progress"},
}
