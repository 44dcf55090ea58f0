package forecast

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"
)

// Defaults of BacktestConfig (BACKTEST.md): three 4-week windows tiling the last 12 weeks.
const (
	DefaultHorizon = 4
	DefaultOrigins = 3
	DefaultStep    = 4
)

// ErrShortCalendar is returned by Backtest when the calendar is too short for the requested windows.
var ErrShortCalendar = errors.New("forecast: calendar too short for the backtest windows")

// BacktestConfig sets the windows of a backtest. Zero fields take their defaults.
type BacktestConfig struct {
	Horizon int // h: weeks forecast from each origin; DefaultHorizon when 0
	Origins int // K: number of origins; DefaultOrigins when 0
	Step    int // weeks between consecutive origins; DefaultStep when 0
	Workers int // goroutines fitting series in parallel; runtime.GOMAXPROCS(0) when 0
	// At, when set, are the origins themselves (weeks seen at each, latest first), in place of
	// Origins and Step: Origins is then len(At) and Step 0.
	At []int
	// Calibration is the number of earlier origins from which each origin's intervals are calibrated
	// (Calibrate); DefaultCalibrationWindows when 0, none (the models' own intervals) when < 0.
	Calibration int
}

func (c BacktestConfig) withDefaults() BacktestConfig {
	if c.Horizon == 0 {
		c.Horizon = DefaultHorizon
	}
	if len(c.At) > 0 {
		c.Origins, c.Step = len(c.At), 0
	}
	if c.Origins == 0 {
		c.Origins = DefaultOrigins
	}
	if c.Step == 0 && len(c.At) == 0 {
		c.Step = DefaultStep
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.Calibration == 0 {
		c.Calibration = DefaultCalibrationWindows
	}
	return c
}

// OriginWeeks returns the origins of a backtest on a calendar of weeks weeks, latest first:
// o_k = weeks − h − step·k for k = 0 … K−1, or At when set. At origin o a method sees weeks 1 … o (the
// first o values of each series) and forecasts weeks o+1 … o+h. It returns ErrShortCalendar (wrapped)
// when an origin would leave no week to learn from, or (of At) no h weeks to score, and an error when
// a field is negative.
func (c BacktestConfig) OriginWeeks(weeks int) ([]int, error) {
	c = c.withDefaults()
	if c.Horizon < 0 || c.Origins < 0 || c.Step < 0 {
		return nil, fmt.Errorf("forecast: backtest config %+v: negative field", c)
	}
	if len(c.At) > 0 {
		for _, o := range c.At {
			if o < 1 || o+c.Horizon > weeks {
				return nil, fmt.Errorf("%w: %d weeks, horizon %d, origin at week %d", ErrShortCalendar, weeks, c.Horizon, o)
			}
		}
		return append([]int(nil), c.At...), nil
	}
	os := make([]int, c.Origins)
	for k := range os {
		os[k] = weeks - c.Horizon - c.Step*k
		if os[k] < 1 {
			return nil, fmt.Errorf("%w: %d weeks, horizon %d, %d origins %d apart",
				ErrShortCalendar, weeks, c.Horizon, c.Origins, c.Step)
		}
	}
	return os, nil
}

// MethodResult is the backtest of one method.
type MethodResult struct {
	Method string
	Metrics
}

// BacktestReport is the outcome of Backtest: which windows were scored and how every method did.
type BacktestReport struct {
	Series  int
	Weeks   int
	Config  BacktestConfig // with defaults filled in
	Origins []time.Time    // the last week seen at each origin, latest first
	Results []MethodResult // in the order the models were given
}

// Result returns the result of the named method, or false.
func (r BacktestReport) Result(method string) (MethodResult, bool) {
	for _, m := range r.Results {
		if m.Method == method {
			return m, true
		}
	}
	return MethodResult{}, false
}

// BacktestMethods returns what a backtest report compares, in its order: the reference methods
// (naive, snaive), every other candidate model of the default Engine alone but those that need their
// group (which alone are Seasonal), and the Engine itself.
func BacktestMethods() []Method {
	ms := []Method{Each(Naive{}), Each(SeasonalNaive{})}
	for _, m := range DefaultCandidates() {
		switch m.(type) {
		case Naive, SeasonalNaive:
			continue
		case groupModel: // without its group (Each), Seasonal again
			continue
		}
		ms = append(ms, Each(m))
	}
	return append(ms, NewEngine())
}

// Backtest scores each method on p by the protocol of BACKTEST.md: at every origin o of cfg each
// series is cut to its first o weeks, the method forecasts the next h weeks of all series in one
// Batch grouped by brand, forecasts are clipped at 0 and compared with the actual values. Methods run
// one after the other, each over all origins with cfg.Workers goroutines, so each one's Seconds is
// its own wall time. Wrap a single Model with Each.
//
// It returns ErrShortCalendar (wrapped) when the calendar cannot hold the windows, the first error of
// a method, and ctx.Err() when ctx is cancelled.
func Backtest(ctx context.Context, p Panel, cfg BacktestConfig, methods ...Method) (BacktestReport, error) {
	cfg = cfg.withDefaults()
	origins, err := cfg.OriginWeeks(len(p.Weeks))
	if err != nil {
		return BacktestReport{}, err
	}
	rep := BacktestReport{Series: len(p.Series), Weeks: len(p.Weeks), Config: cfg}
	for _, o := range origins {
		rep.Origins = append(rep.Origins, p.Weeks[o-1])
	}
	brandOf, brands := brandIndex(p)
	out := NewForecasts(len(p.Series), cfg.Horizon, true)
	cut := make([][]float64, len(p.Series))
	actual := make([][]float64, len(p.Series))
	for _, m := range methods {
		sc := newScorer(len(origins), brands)
		start := time.Now()
		var observed Observations // what m's intervals are calibrated against; zero: p itself
		if t, ok := m.(trainer); ok {
			observed = t.calibrationValues()
		}
		for k, o := range origins {
			for i, s := range p.Series {
				cut[i] = s.Values[:o:o]
				actual[i] = s.Values[o : o+cfg.Horizon]
			}
			b := Batch{Series: cut, Groups: brandOf, Horizon: cfg.Horizon, Workers: cfg.Workers, Origin: p.Weeks[o]}
			if err := m.ForecastBatch(ctx, b, out); err != nil {
				return BacktestReport{}, fmt.Errorf("backtest %s at week %d: %w", m.Name(), o, err)
			}
			for i, s := range p.Series {
				clip(out[i].Mean) // the protocol clips, whatever the method does
				sc.add(k, brandOf[i], s.Values[:o], actual[i], out[i].Mean)
			}
			var cal Calibration
			if cfg.Calibration > 0 {
				var err error
				if cal, err = Calibrate(ctx, m.ForecastBatch, b, observed, cfg.Calibration); err != nil {
					return BacktestReport{}, fmt.Errorf("backtest %s: calibrate at week %d: %w", m.Name(), o, err)
				}
			}
			if hs, ok := m.(holidaySpreader); ok && cal.Outlet != nil {
				cal.Festival = hs.HolidaySpread(b)
			}
			rec, err := cal.Reconcile(out, brandOf, brands)
			if err != nil {
				return BacktestReport{}, fmt.Errorf("backtest %s at week %d: %w", m.Name(), o, err)
			}
			sc.addLevels(actual, brandOf, out, rec)
		}
		rep.Results = append(rep.Results, MethodResult{
			Method:  m.Name(),
			Metrics: sc.metrics(time.Since(start).Seconds()),
		})
	}
	return rep, nil
}

// holidaySpreader is a Method that knows what the weeks it forecasts owe to holidays of an unknown
// split (Engine.HolidaySpread): the calibrated intervals of the brands are widened by it.
type holidaySpreader interface {
	HolidaySpread(b Batch) [][]float64
}

// trainer is a Method that learns from other values than the series it is given (TrainOn): intervals
// are calibrated against those, or against what TrainOnObserved gave.
type trainer interface {
	calibrationValues() Observations
}

// brandIndex numbers the brands of p in order of first appearance.
func brandIndex(p Panel) (brandOf []int, brands int) {
	idx := make(map[string]int)
	brandOf = make([]int, len(p.Series))
	for i, s := range p.Series {
		b, ok := idx[s.Brand]
		if !ok {
			b = len(idx)
			idx[s.Brand] = b
		}
		brandOf[i] = b
	}
	return brandOf, len(idx)
}
