package forecast

import (
	"time"
)

// DatasetInfo describes a dataset's history.
type DatasetInfo struct {
	Dataset           string
	Period            string    // "day" (summed into Monday weeks) or "week"
	Rows              uint64    // rows of history
	FirstDay, LastDay time.Time // the earliest and latest day of a row
}

// HistoryQuery says which weekly history a HistoryReader reads.
type HistoryQuery struct {
	Dataset string
	// Before ends the history: only weeks before the week that contains Before are read, so a week
	// in progress never counts. Zero: all of it.
	Before time.Time
	// ActiveSince keeps only the series with a row in the week of this day or later (and before
	// the week of Before). Zero: every series.
	ActiveSince time.Time
	// ActiveOutlets keeps only outlets whose latest master data says they are active.
	ActiveOutlets bool
	// ScarceBrands keeps only brands whose latest master data flags them scarce.
	ScarceBrands bool
	// Progress, when not nil, is called with the number of rows read so far, every 65,536 rows and
	// once at the end.
	Progress func(rows int)
	// OnWeeks, when not nil, may be called with the panel's weeks once they are known, before the
	// rows are read (a reader that retries may call it again), so that the caller can start other
	// reads of the same weeks meanwhile.
	OnWeeks func(weeks []time.Time)
}

// Run is one forecast run: what it was, and the reconciled forecasts of every level, as a
// RunWriter stores them.
type Run struct {
	ID                    string
	Dataset               string
	AsOf                  time.Time   // the Monday of the first forecast week
	Weeks                 []time.Time // the forecast weeks, Mondays: the horizon
	Models                string      // what chose the models, for the record (a summary)
	StartedAt, FinishedAt time.Time   // FinishedAt: when zero, the writer records when it stored the run

	Outlets, Brands []string   // per series: its outlet and brand code
	Series          []Forecast // per series: point and 80% interval of every week
	SeriesModel     []string   // per series: the model that forecast it

	BrandCodes []string   // per brand index
	BrandOf    []int      // per series: its brand index
	BrandModel []string   // per brand index: what set its forecast; nil or "" for the sum of its series
	TotalModel string     // what set the grand total; "" for the sum of the brands
	Reconciled Reconciled // from Reconcile(Series, BrandOf, len(BrandCodes))
}

// Rows returns how many weekly and monthly rows storing r takes: one per series, brand and the
// total, for every week and for every month the weeks touch.
func (r Run) Rows() (weekly, monthly int) {
	rows := len(r.Series) + len(r.BrandCodes) + 1
	return rows * len(r.Weeks), rows * len(SplitMonths(r.Weeks).Months)
}
