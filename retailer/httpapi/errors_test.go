package httpapi

import (
	"testing"

	"github.com/ordercast/ordercast/cmd/ordercast/problem/problemtest"
	"github.com/ordercast/ordercast/retailer"
	"github.com/ordercast/ordercast/retailer/grading"
)

func TestProblemsMapEveryRetailerError(t *testing.T) {
	problemtest.CheckMapsEvery(t, (&Handler{}).Problems(), "..", map[string]error{
		"ErrInvalidCredentials": retailer.ErrInvalidCredentials,
		"ErrTooManyAttempts":    retailer.ErrTooManyAttempts,
		"ErrBusy":               retailer.ErrBusy,
		"ErrUnauthenticated":    retailer.ErrUnauthenticated,
		"ErrNotFound":           retailer.ErrNotFound,
		"ErrUsernameTaken":      retailer.ErrUsernameTaken,
		"ErrInvalid":            retailer.ErrInvalid,
		"ErrForbidden":          retailer.ErrForbidden,
		"ErrUnavailable":        retailer.ErrUnavailable,
		"ErrBenchmarkLimit":     retailer.ErrBenchmarkLimit,
		"ErrOpenOrder":          retailer.ErrOpenOrder,
	})
	problemtest.CheckMapsEvery(t, (&Handler{}).Problems(), "../grading", map[string]error{
		"ErrInvalidRule": grading.ErrInvalidRule,
	})
}
