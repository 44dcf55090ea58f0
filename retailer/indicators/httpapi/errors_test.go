package httpapi

import (
	"testing"

	"github.com/ordercast/ordercast/cmd/ordercast/problem/problemtest"
	"github.com/ordercast/ordercast/retailer/indicators"
)

func TestProblemsMapEveryIndicatorsError(t *testing.T) {
	problemtest.CheckMapsEvery(t, (&Handler{}).Problems(), "..", map[string]error{
		"ErrInvalid":        indicators.ErrInvalid,
		"ErrForbidden":      indicators.ErrForbidden,
		"ErrUnknownManager": indicators.ErrUnknownManager,
	})
}
