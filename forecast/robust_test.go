package forecast

import (
	"math"
	"testing"
)

// One promotion week does not move the robust level; it moves SES's by α(1 − α)⁴ times its size four weeks later.
func TestRobustSESIgnoresOneOutlier(t *testing.T) {
	y := make([]float64, 60)
	for i := range y {
		y[i] = 100 + 5*math.Sin(float64(3*i)) // noise of about ±5
	}
	y[55] = 400 // a promotion, four weeks before the end
	_, plain, _ := sesFit(y, []float64{0.3})
	_, robust, _ := sesFitRobust(y, []float64{0.3})
	if math.Abs(robust-100) > 8 || math.Abs(plain-100) < 15 {
		t.Errorf("level after a week of 400 in a series of 100 ± 5 with α 0.3: robust %.1f, SES %.1f; "+
			"want robust within 8 of 100 (SES moves by about 22)", robust, plain)
	}
}

// A lasting change of level is followed: the running scale grows with the clipped errors, so after a
// few weeks the level moves with the series.
func TestRobustSESFollowsALevelShift(t *testing.T) {
	y := make([]float64, 80)
	for i := range y {
		y[i] = 100 + 5*math.Sin(float64(3*i))
		if i >= 50 {
			y[i] += 100
		}
	}
	for _, a := range []float64{0.3, 0.6} {
		if _, l, _ := sesFitRobust(y, []float64{a}); math.Abs(l-200) > 10 {
			t.Errorf("sesFitRobust(α %.1f) level 30 weeks after a shift from 100 to 200 = %.1f; want within 10 of 200", a, l)
		}
	}
}

// A series without spread (flat, or zero at the start and flat after) has no scale to clip by: the
// robust fit is SES's.
func TestRobustSESWithoutScaleIsSES(t *testing.T) {
	flat := make([]float64, 30)
	for i := range flat {
		flat[i] = 7
	}
	for name, y := range map[string][]float64{"flat": flat, "one value": {3}} {
		a1, l1, s1 := sesFitRobust(y, defaultAlphas)
		a2, l2, s2 := sesFit(y, defaultAlphas)
		if a1 != a2 || l1 != l2 || s1 != s2 {
			t.Errorf("%s: sesFitRobust = %v, %v, %v; want sesFit's %v, %v, %v", name, a1, l1, s1, a2, l2, s2)
		}
	}
}

// A promotion week two weeks before the end of a seasonal series: SeasonalRatioRobust's forecast of the
// next weeks stays near the series' own level and season, where SeasonalRatio carries a share of the
// promotion into every week it forecasts.
func TestSeasonalRatioRobustIgnoresAPromotionWeek(t *testing.T) {
	n, h := 3*SeasonalPeriod, 8
	y, future := multiplicativeSeries(n, n, h, 100, 100, 0.3)
	for t := range y { // noise of about ±8%, so that the scale is not the wobble's alone
		y[t] *= 1 + 0.08*math.Sin(float64(5*t))
	}
	y[n-2] *= 4
	robust := run(SeasonalRatioRobust{}, y, h)
	plain := run(SeasonalRatio{}, y, h)
	eRobust, ePlain := meanAbsError(robust.Mean, future), meanAbsError(plain.Mean, future)
	t.Logf("mean absolute error: SeasonalRatioRobust %.4f, SeasonalRatio %.4f", eRobust, ePlain)
	if eRobust > 0.5*ePlain || eRobust > 8 {
		t.Errorf("mean absolute error over %d weeks after a week of 4× the level 100: SeasonalRatioRobust %.2f, "+
			"SeasonalRatio %.2f; want the robust one below half of SeasonalRatio's and below 8", h, eRobust, ePlain)
	}
}
