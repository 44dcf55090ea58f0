package httpapi

import (
	"testing"

	"github.com/ordercast/ordercast/cmd/ordercast/problem/problemtest"
	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/forecast/allocation"
)

func TestProblemsMapEveryForecastError(t *testing.T) {
	table := (&Handler{}).Problems()
	problemtest.CheckMapsEvery(t, table, "..", map[string]error{
		"ErrNoRun":                 forecast.ErrNoRun,
		"ErrNoScores":              forecast.ErrNoScores,
		"ErrNoFigures":             forecast.ErrNoFigures,
		"ErrNoHistory":             forecast.ErrNoHistory,
		"ErrInvalidScore":          forecast.ErrInvalidScore,
		"ErrInvalidBatch":          forecast.ErrInvalidBatch,
		"ErrInvalidReconciliation": forecast.ErrInvalidReconciliation,
		"ErrRegression":            forecast.ErrRegression,
		"ErrShortCalendar":         forecast.ErrShortCalendar,
		"ErrUnfinishedMonth":       forecast.ErrUnfinishedMonth,
		"ErrOriginOutside":         forecast.ErrOriginOutside,
	})
	problemtest.CheckMapsEvery(t, table, "../allocation", map[string]error{
		"ErrSupply":          allocation.ErrSupply,
		"ErrMode":            allocation.ErrMode,
		"ErrDimension":       allocation.ErrDimension,
		"ErrCoverage":        allocation.ErrCoverage,
		"ErrGradeWeights":    allocation.ErrGradeWeights,
		"ErrOutletID":        allocation.ErrOutletID,
		"ErrDuplicateOutlet": allocation.ErrDuplicateOutlet,
		"ErrGrade":           allocation.ErrGrade,
		"ErrStatus":          allocation.ErrStatus,
		"ErrDemand":          allocation.ErrDemand,
		"ErrCap":             allocation.ErrCap,
		"ErrNoSelected":      allocation.ErrNoSelected,
		"ErrNoDemand":        allocation.ErrNoDemand,
		"ErrNotPublishable":  allocation.ErrNotPublishable,
		"ErrNoPreview":       allocation.ErrNoPreview,
		"ErrStalePreview":    allocation.ErrStalePreview,
		"ErrPreviewPending":  allocation.ErrPreviewPending,
		"ErrWeek":            allocation.ErrWeek,
		"ErrPriceClass":      allocation.ErrPriceClass,
		"ErrUnknownOutlet":   allocation.ErrUnknownOutlet,
		"ErrUnknownBrand":    allocation.ErrUnknownBrand,
	})
}
