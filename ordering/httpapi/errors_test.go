package httpapi

import (
	"testing"

	"github.com/ordercast/ordercast/cmd/ordercast/problem/problemtest"
	"github.com/ordercast/ordercast/ordering"
)

func TestProblemsMapEveryOrderingError(t *testing.T) {
	problemtest.CheckMapsEvery(t, (&Handler{}).Problems(), "..", map[string]error{
		"ErrWindowClosed":          ordering.ErrWindowClosed,
		"ErrNotFound":              ordering.ErrNotFound,
		"ErrLimitExceeded":         ordering.ErrLimitExceeded,
		"ErrNotOnSale":             ordering.ErrNotOnSale,
		"ErrConflict":              ordering.ErrConflict,
		"ErrInvalid":               ordering.ErrInvalid,
		"ErrOutletInactive":        ordering.ErrOutletInactive,
		"ErrWeek":                  ordering.ErrWeek,
		"ErrIdempotencyKeyReused":  ordering.ErrIdempotencyKeyReused,
		"ErrIdempotencyInFlight":   ordering.ErrIdempotencyInFlight,
		"ErrIdempotencyKeyHeld":    ordering.ErrIdempotencyKeyHeld,
		"ErrRelayBusy":             ordering.ErrRelayBusy,
		"ErrVersionMismatch":       ordering.ErrVersionMismatch,
		"ErrInsufficientBalance":   ordering.ErrInsufficientBalance,
		"ErrPublishedMeanwhile":    ordering.ErrPublishedMeanwhile,
		"ErrSupplyVersionMismatch": ordering.ErrSupplyVersionMismatch,
	})
}
