// Package forecast is the demand side of ordercast: sales history as weekly series per outlet and
// brand, forecasting models and their choice by backtest, reconciliation across levels, suggested
// quantities, scarce-brand allocation and accuracy scoring.
//
// The forecasting core: a Builder sums daily or weekly history into a Panel of weekly outlet × brand
// series; a Model forecasts one series with an 80% interval in microseconds (Naive, SeasonalNaive,
// MovingAverage, SES, Damped, Croston, SBA, TSB, Seasonal); the Engine chooses and combines models per
// group of series by a rolling-origin backtest on their own history; Backtest scores any Method by the
// protocol of design/BACKTEST.md (WAPE, bias, brand and total accuracy, RMSSE, time).
//
// The top of the hierarchy: a Regression (github.com/sajari/regression) forecasts a brand's or the
// grand total's weekly series on trend, the value a year earlier, holiday weeks of the calendar table
// and supply; TopDown runs the Engine and lets such regressions set the brand and total forecasts
// where they validate better than the sum of the outlets, then distributes them down (Distribute) so
// that the levels still add up (Reconcile). New products without history are forecast from like items
// (LikeItems, LearnLaunchCurve, ForecastLaunch), and in their first weeks on sale from like items
// scaled by what they sold (ForecastAfterLaunch), their first orders being shelf fills.
//
// Orchestration: a Planner makes a forecast run from a HistoryReader, CalendarReader and
// CatalogueReader and stores it with a RunWriter; a Backtester backtests a stored dataset from a
// SalesReader and CalendarReader; CalendarScope is the one rule of which holidays their regressions
// use; a Scorer scores a month's forecasts (ScoreMonth) from a ScoreSource and stores them with a
// ScoreWriter. forecast/clickhouse.Store is all of them.
//
// It holds types and pure logic only; adapters live in subpackages named after what they adapt.
package forecast

import "time"

// LiveDataset names the company's own history, as opposed to imported datasets.
const LiveDataset = "live"

// Sale is one line of sell-in history: what an outlet asked for, was granted and received of a brand
// on a day. Requested above Granted is demand the limits censored.
type Sale struct {
	Day       time.Time // a date (UTC midnight)
	Outlet    string
	Brand     string
	Requested float64
	Granted   float64
	Delivered float64
	Limit     float64 // the limit in force when Limited
	Limited   bool    // a limit or cap cut the grant below the request
	OrderID   uint64  // 0 when the line did not come from an order
}

// DemandPoint is one week of an outlet's true demand for a brand, as drawn by the synthetic generator
// before limits and stock-outs censored it. Only scoring reads it.
type DemandPoint struct {
	Week   time.Time // Monday
	Outlet string
	Brand  string
	Demand float64
}

// Monday returns the Monday of t's ISO week, at UTC midnight.
func Monday(t time.Time) time.Time {
	t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	offset := (int(t.Weekday()) + 6) % 7 // Monday 0 … Sunday 6
	return t.AddDate(0, 0, -offset)
}
