// Package synth generates a synthetic sales region with known true demand, for judging forecasts and
// allocations: account managers and licensed outlets (grades, business formats, routes, order days,
// collection points), manufacturers and a brand catalogue (price classes, Zipf-like popularity,
// scarce brands, new products), the true weekly demand of every outlet for every brand it carries,
// and what the ordering process made of it: requested, granted and delivered order lines censored by
// per-outlet limits, warehouse stock-outs, skipped cycles and failed deductions, plus the terminal
// scans of the collection points, gaps and bad rows included.
//
// Everything is a pure function of a Config: the same seed gives the same region. Each outlet's
// history draws from its own random stream, so it does not depend on batch sizes or on the order
// in which outlets are generated, and a region streams outlet by outlet in bounded memory.
//
// The model, in short. An outlet of grade g expects V(g) cartons a week (rising with grade, times
// its format and its own size), spread over the brands it carries in proportion to the brands'
// popularity and affinity with its format and locality. A brand-week factor carries the brand's
// trend, the calendar (an annual cycle; the weeks before the Spring Festival, Mid-Autumn and
// National Day, felt most by dear brands; the slump after the Spring Festival) and a new product's
// ramp after launch. The true demand of a week is a negative binomial draw (a Poisson with a
// gamma-distributed mean) around that expectation and an outlet-week shock: whole cartons, often
// zero for the many small brands of small outlets. Retailers order up to a level that covers the
// expected demand with some safety stock; what they ask for is requested, a scarce brand's
// per-grade limit (or a warehouse stock-out) cuts what is granted, a failed deduction fails the
// whole order, and the outlet sells what demand and its stock allow.
package synth

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/retailer"
)

// The defaults of `ordercast seed`.
const (
	DefaultOutlets = 3000
	DefaultBrands  = 150
	DefaultWeeks   = 104
)

// Bounds of a Config.
const (
	MinBrands = 5
	MinWeeks  = 8
	MaxWeeks  = 520
)

// ErrInvalidConfig is returned (wrapped) by New for a Config out of bounds.
var ErrInvalidConfig = errors.New("synth: invalid config")

// Config says which region to generate.
type Config struct {
	Outlets int
	Brands  int
	Weeks   int
	Seed    uint64
	// Now places the history: its last week is the last full week before the week containing Now.
	// Its days are the region's: Now's calendar date in Now's own location (as forecast.Monday takes
	// it), so that Now in the region's zone gives the region's week under way and today.
	Now time.Time
	// UpToNow also generates the week under way up to Now (see History): the orders of its order
	// days whose windows closed by Now, the collection points' daily uploads made by Now, and the
	// month's satisfaction scores recorded so far.
	UpToNow bool
	// Windows is the order-window policy of the cycles (RecentCycles) and of the week under way's
	// orders; ordering.DefaultWindowPolicy when zero.
	Windows ordering.WindowPolicy
}

func (c Config) validate() error {
	var errs []error
	if c.Outlets < 1 {
		errs = append(errs, fmt.Errorf("outlets %d: want at least 1", c.Outlets))
	}
	if c.Brands < MinBrands {
		errs = append(errs, fmt.Errorf("brands %d: want at least %d", c.Brands, MinBrands))
	}
	if c.Weeks < MinWeeks || c.Weeks > MaxWeeks {
		errs = append(errs, fmt.Errorf("weeks %d: want %d to %d", c.Weeks, MinWeeks, MaxWeeks))
	}
	if c.Now.IsZero() {
		errs = append(errs, errors.New("now: not set"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return nil
}

// Region is a generated region: its master data, held in memory, and the recipe of every outlet's
// history, generated on demand by Each or History.
type Region struct {
	Start time.Time // Monday of the first week
	Weeks int

	Managers      []retailer.Manager
	Outlets       []retailer.Outlet // outlet i's history is History(i)
	Manufacturers []ordering.Manufacturer
	Brands        []ordering.Brand

	seed    uint64
	windows ordering.WindowPolicy
	now     time.Time // the instant, in UTC
	today   time.Time // the region's date of Now (Config.Now's calendar date), at midnight UTC
	upToNow bool
	// closedNow says, per order day (Monday 0), whether the week under way's window of that day
	// closed by Now: its outlets have ordered.
	closedNow [7]bool
	// The per-week slices below hold Weeks+1 weeks: the history's and the week under way (index
	// Weeks), whose figures only Config.UpToNow uses.
	lifts   []weekLift
	mondays []time.Time    // per week
	days    []time.Time    // per week and weekday: days[7*w+d] is d days after Monday
	scanAt  []time.Time    // per week: when collection points count, Sunday 21:00
	brands  []brandParams  // parallel to Brands
	outlets []outletParams // parallel to Outlets
}

// brandParams is what drives a brand's demand and supply.
type brandParams struct {
	pop        float64             // Zipf popularity
	gift       float64             // gift sensitivity: 1 for the dearest class, 0 for the cheapest
	trend      float64             // yearly log growth of demand
	formatAff  [numFormats]float64 // affinity with each business format
	ruralAff   float64             // affinity multiplier in rural outlets
	weekly     []float64           // trend × calendar × launch ramp, per week; 0 before launch
	ramp       []float64           // new products: the launch ramp, 0 before launch, rising to 1
	launchWeek int                 // first week with demand
	newProduct bool                // launched during the history: starts with empty shelves
	limitBase  float64             // scarce: limit per carton of V(grade), before the supply factor
	supply     []float64           // scarce: weekly supply factor around 1
	outOfStock []bool              // per week: the warehouse had none (a limit of 0 for everybody)
}

// outletParams is what drives an outlet's behaviour.
type outletParams struct {
	format      int
	volume      float64 // expected cartons a week over all brands, before calendar effects
	cover       float64 // order-up-to level as a multiple of the expected weekly demand
	skip        float64 // probability of skipping an order cycle
	fail        float64 // probability that the deduction fails
	trend       float64 // yearly log growth
	closeWeek   int     // first week closed; Weeks if open to the end
	suspendWeek int     // first week suspended; Weeks if never
	upload      float64 // collection points: probability of uploading in a week
	orderDay    int     // days after Monday
}

// recentLaunch is how many weeks before the history's end the last new product is launched.
const recentLaunch = 5

// numFormats is the number of business formats, indexed as retailer.Formats.
const numFormats = 6

// gradeVolume is the expected weekly cartons of an outlet of grade g, before format and size.
func gradeVolume(g int) float64 { return 4 * math.Exp(0.11*float64(g-1)) }

// New generates the region's master data and the parameters of every outlet's history.
func New(cfg Config) (*Region, error) {
	if len(retailer.Formats) != numFormats {
		return nil, fmt.Errorf("synth: %d business formats, the model knows %d", len(retailer.Formats), numFormats)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	r := &Region{
		Start:   forecast.Monday(cfg.Now).AddDate(0, 0, -7*cfg.Weeks),
		Weeks:   cfg.Weeks,
		seed:    cfg.Seed,
		windows: cmp.Or(cfg.Windows, ordering.DefaultWindowPolicy),
		now:     cfg.Now.UTC(),
		today:   time.Date(cfg.Now.Year(), cfg.Now.Month(), cfg.Now.Day(), 0, 0, 0, 0, time.UTC),
		upToNow: cfg.UpToNow,
	}
	for d, w := range r.windows.Windows(r.Week(r.Weeks)) {
		r.closedNow[d] = !w.ClosesAt.After(r.now)
	}
	r.lifts = make([]weekLift, cfg.Weeks+1)
	for w := range r.lifts {
		monday := r.Week(w)
		l, err := liftFor(monday)
		if err != nil {
			return nil, err
		}
		r.lifts[w] = l
		r.mondays = append(r.mondays, monday)
		for d := range 7 {
			r.days = append(r.days, monday.AddDate(0, 0, d))
		}
		r.scanAt = append(r.scanAt, monday.Add(6*24*time.Hour+21*time.Hour))
	}
	r.makeCatalogue(cfg.Brands)
	r.makeOutlets(cfg.Outlets)
	r.setLimits()
	return r, nil
}

// Week returns the Monday of week w, 0 being the first.
func (r *Region) Week(w int) time.Time { return r.Start.AddDate(0, 0, 7*w) }

// End returns the Monday after the last week.
func (r *Region) End() time.Time { return r.Week(r.Weeks) }

// LimitFor returns the per-outlet limit of a scarce brand (index into Brands) for grade in week w
// (Weeks: the week under way), and false when the brand is not rationed. A warehouse stock-out gives a limit of 0.
func (r *Region) LimitFor(brand, grade, w int) (int, bool) {
	bp := &r.brands[brand]
	if bp.outOfStock[w] {
		return 0, true
	}
	if !r.Brands[brand].Scarce {
		return 0, false
	}
	return max(1, int(math.Round(bp.limitBase*gradeVolume(grade)*bp.supply[w]))), true
}

// PlanFactor returns what a distributor who knows the market expects of brand b's demand in the week
// that starts on monday, after the history, as a multiple of its average over the history's last n
// weeks: the brand's trend and the calendar (the annual cycle, the festivals' lifts and slumps) as
// the generator draws them, without the noise. A new product's launch ramp is left out: its demand
// is expected to stay where it has got to.
func (r *Region) PlanFactor(b int, monday time.Time, n int) (float64, error) {
	bp := &r.brands[b]
	n = max(1, min(n, r.Weeks))
	mid := float64(r.Weeks) / 2
	at := func(w int, l weekLift) float64 { return math.Exp(bp.trend*(float64(w)-mid)/52.18) * l.factor(bp.gift) }
	recent := 0.0
	for w := r.Weeks - n; w < r.Weeks; w++ {
		recent += at(w, r.lifts[w])
	}
	l, err := liftFor(monday)
	if err != nil {
		return 0, err
	}
	w := int(monday.Sub(r.Start).Hours()) / (7 * 24)
	return at(w, l) / (recent / float64(n)), nil
}

// Catalogue ------------------------------------------------------------------------------------------

// Names are Chinese, as a region's own would be: pages translate their interface, never these.
var manufacturerNames = []string{
	"云岭", "湘江", "淮海", "黔山", "闽江", "太行", "洞庭", "岭南", "巴蜀", "江淮", "齐鲁", "陇西",
}

var brandFamilies = []string{
	"金叶", "红鹤", "玉峰", "长城", "黄河", "牡丹", "熊猫", "荷花", "双喜", "凤凰", "松岭", "春潮",
	"银湾", "云岭", "东风", "梅花", "竹林", "白沙", "紫山", "晨星", "蓝湖", "双龙",
}

// brandVariants are the pack's variant, written in brackets after the family: 金叶（软）.
var brandVariants = []string{
	"软", "硬", "细支", "经典", "金", "蓝", "醇和", "精品", "红", "精制", "丝绸", "传奇",
	"传承", "新星", "清凉", "御",
}

// Price classes: share of the catalogue, wholesale range per carton in yuan, trend mean, gift
// sensitivity, affinity with each business format (as retailer.Formats) and with rural outlets.
var priceClasses = [5]struct {
	share      float64
	lo, hi     float64
	trend      float64
	gift       float64
	formatAff  [numFormats]float64
	ruralAff   float64
	scarceBias float64
}{
	{0.12, 300, 900, 0.05, 1.00, [numFormats]float64{1.0, 1.3, 1.2, 1.4, 1.8, 0.5}, 0.4, 1.5},
	{0.18, 180, 300, 0.03, 0.70, [numFormats]float64{1.0, 1.2, 1.2, 1.3, 1.5, 0.7}, 0.6, 2.0},
	{0.30, 100, 180, 0.00, 0.35, [numFormats]float64{1.0, 1.0, 1.1, 1.0, 1.0, 1.0}, 0.9, 1.5},
	{0.25, 60, 100, -0.03, 0.10, [numFormats]float64{1.0, 0.9, 0.9, 0.8, 0.7, 1.2}, 1.3, 0.7},
	{0.15, 30, 60, -0.06, 0.00, [numFormats]float64{1.0, 0.8, 0.7, 0.6, 0.5, 1.4}, 1.6, 0.3},
}

func (r *Region) makeCatalogue(n int) {
	rng := newStream(r.seed, streamBrands, 0)
	nMfr := min(max(n/25, 3), len(manufacturerNames))
	r.Manufacturers = make([]ordering.Manufacturer, nMfr)
	mfrWeights := make([]float64, nMfr)
	for m := range r.Manufacturers {
		r.Manufacturers[m] = ordering.Manufacturer{
			Code: fmt.Sprintf("M%02d", m+1),
			Name: manufacturerNames[m] + "卷烟厂",
		}
		mfrWeights[m] = 1 / math.Pow(float64(m+1), 0.7)
	}
	classWeights := make([]float64, len(priceClasses))
	for c, pc := range priceClasses {
		classWeights[c] = pc.share
	}

	r.Brands = make([]ordering.Brand, n)
	r.brands = make([]brandParams, n)
	rank := rng.Perm(n)
	names := map[string]bool{}
	for b := range r.Brands {
		c := pick(rng, classWeights)
		pc := &priceClasses[c]
		wholesale := math.Round(uniform(rng, pc.lo, pc.hi)/10) * 10
		retail := math.Ceil(wholesale * uniform(rng, 1.10, 1.18))
		name := brandFamilies[rng.IntN(len(brandFamilies))] + "（" + brandVariants[rng.IntN(len(brandVariants))] + "）"
		for k := 2; names[name]; k++ {
			name = fmt.Sprintf("%s（%s）%d", brandFamilies[rng.IntN(len(brandFamilies))],
				brandVariants[rng.IntN(len(brandVariants))], k)
		}
		names[name] = true
		r.Brands[b] = ordering.Brand{
			Code:           fmt.Sprintf("B%04d", b+1),
			Name:           name,
			Manufacturer:   r.Manufacturers[pick(rng, mfrWeights)].Code,
			PriceClass:     c + 1,
			PacksPerCarton: 10,
			WholesaleCents: int64(wholesale) * 100,
			RetailCents:    int64(retail) * 100,
			Lifecycle:      ordering.Maintained,
		}
		bp := &r.brands[b]
		bp.pop = 1 / float64(rank[b]+1) // Zipf, s = 1: a few brands sell most
		bp.gift = pc.gift
		for f := range bp.formatAff {
			bp.formatAff[f] = pc.formatAff[f] * lognormal(rng, 0.3)
		}
		bp.ruralAff = pc.ruralAff * lognormal(rng, 0.3)
	}

	// About 10% of the brands are scarce: the popular ones, mostly of the middle and upper classes.
	nScarce := max(1, int(math.Round(0.1*float64(n))))
	byPop := make([]int, n)
	for b := range byPop {
		byPop[b] = b
	}
	slices.SortFunc(byPop, func(a, b int) int { return rank[a] - rank[b] })
	candidates := byPop[:min(n, 2*nScarce)]
	weights := make([]float64, len(candidates))
	for k, b := range candidates {
		weights[k] = priceClasses[r.Brands[b].PriceClass-1].scarceBias
	}
	for range nScarce {
		k := pick(rng, weights)
		r.Brands[candidates[k]].Scarce = true
		weights[k] = 0
	}

	// Several new products, launched between a quarter and nine tenths into the history; when there
	// are several, the last one is launched recentLaunch weeks before the history ends, so that the
	// recent cycles the seed loads show a launch (the new-product shelving rate) as it happens.
	nNew := min(max(1, int(math.Round(0.05*float64(n)))), n/5)
	for i := range nNew {
		b := rng.IntN(n)
		for r.Brands[b].Scarce || r.Brands[b].NewProduct {
			b = (b + 1) % n
		}
		first, last := r.Weeks/4, r.Weeks*9/10
		week := first + rng.IntN(max(1, last-first))
		if i == nNew-1 && nNew > 1 && r.Weeks >= 4*recentLaunch {
			week = r.Weeks - recentLaunch
		}
		launch := r.Week(week).AddDate(0, 0, rng.IntN(5)) // a weekday
		br := &r.Brands[b]
		br.NewProduct = true
		br.LaunchDate = launch
		br.Lifecycle = ordering.Cultivated
		if r.Weeks-week <= 26 {
			br.Lifecycle = ordering.Introduced
		}
		r.brands[b].newProduct = true
		r.brands[b].launchWeek = week
		if !launch.Equal(r.Week(week)) {
			r.brands[b].launchWeek = week + 1 // the first week that starts on or after the launch
		}
	}

	for b := range r.brands {
		r.brandWeeks(b)
	}
}

// brandWeeks fills a brand's weekly factors, supply and stock-outs from the brand's own stream.
func (r *Region) brandWeeks(b int) {
	rng := newStream(r.seed, streamBrandWeeks, uint64(b))
	br, bp := &r.Brands[b], &r.brands[b]
	pc := &priceClasses[br.PriceClass-1]
	trend := max(-0.35, min(0.35, pc.trend+0.08*rng.NormFloat64()))
	bp.trend = trend
	ramp := uniform(rng, 3, 10) // weeks for a new product to reach two thirds of its demand
	stockOut := 0.01
	if br.Scarce {
		stockOut = 0.03
	}
	// The week under way comes last, so that its draws leave the history's as they were.
	bp.weekly = make([]float64, r.Weeks+1)
	bp.outOfStock = make([]bool, r.Weeks+1)
	if br.Scarce {
		bp.supply = make([]float64, r.Weeks+1)
	}
	mid := float64(r.Weeks) / 2
	if bp.newProduct {
		bp.ramp = make([]float64, r.Weeks+1)
	}
	for w := range r.Weeks + 1 {
		f := math.Exp(trend*(float64(w)-mid)/52.18) * r.lifts[w].factor(bp.gift)
		if bp.newProduct {
			if w >= bp.launchWeek {
				bp.ramp[w] = 1 - math.Exp(-float64(w-bp.launchWeek+1)/ramp)
			}
			f *= bp.ramp[w]
		}
		bp.weekly[w] = f
		bp.outOfStock[w] = rng.Float64() < stockOut
		if br.Scarce {
			s := lognormal(rng, 0.15)
			if r.lifts[w].festival >= 0.5 {
				s *= 0.8 // supply does not keep up with the festival rush
			}
			bp.supply[w] = s
		}
	}
}

// Outlets --------------------------------------------------------------------------------------------

// countyCode is the administrative division code that starts every licence number: a licence is the
// county's code and a serial number, so that licences sort in the order outlets are generated.
const countyCode = "530121"

type area struct {
	name  string
	code  string // prefix of the area's route codes
	rural bool
}

var (
	urbanAreas = []string{"城关街道", "城东街道", "城西街道", "开发区"}
	ruralAreas = []string{"石桥镇", "河西镇", "龙潭镇", "白马镇", "清水镇", "兴隆镇", "太平镇",
		"高坪镇", "杨柳镇", "茅坪镇", "黄土镇", "双庙镇"}
	surnames   = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗"}
	givenNames = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀", "辉", "平", "刚"}
	shopWords  = []string{"兴旺", "和谐", "吉祥", "金源", "旭日", "光明", "友谊", "快乐", "富贵", "平安", "春天", "团结"}
	roadNames  = []string{"人民", "解放", "中山", "新华", "和平", "建设", "文化", "滨河", "胜利", "朝阳"}
	shopKinds  = [numFormats]string{"便利店", "超市", "商行", "饭店", "KTV", "烟酒店"}
	formatMix  = [2][numFormats]float64{ // urban, rural; as retailer.Formats
		{0.42, 0.14, 0.09, 0.16, 0.07, 0.12},
		{0.50, 0.10, 0.01, 0.14, 0.02, 0.23},
	}
	formatGrade  = [numFormats]float64{0, 3, 4, -1.5, 1, -3.5}         // grade shift by format
	formatVolume = [numFormats]float64{1.0, 1.15, 1.2, 0.8, 0.9, 0.85} // volume multiplier by format
)

func (r *Region) makeOutlets(n int) {
	areas := make([]area, 0, len(urbanAreas)+len(ruralAreas))
	for _, name := range urbanAreas {
		areas = append(areas, area{name: name})
	}
	for _, name := range ruralAreas[:min(max(n/300, 2), len(ruralAreas))] {
		areas = append(areas, area{name: name, rural: true})
	}
	for a := range areas {
		areas[a].code = fmt.Sprintf("A%02d", a+1)
	}
	urbanWeights := []float64{3, 2, 2, 1}

	r.Outlets = make([]retailer.Outlet, n)
	r.outlets = make([]outletParams, n)
	outletArea := make([]int, n)
	for i := range r.Outlets {
		rng := newStream(r.seed, streamOutletMaster, uint64(i))
		a := pick(rng, urbanWeights)
		if rng.Float64() >= 0.45 {
			a = len(urbanAreas) + rng.IntN(len(areas)-len(urbanAreas))
		}
		outletArea[i] = a
		ar := areas[a]
		rural := 0
		if ar.rural {
			rural = 1
		}
		f := pick(rng, formatMix[rural][:])
		localShift := 1.5
		if ar.rural {
			localShift = -1.5
		}
		grade := truncNormalInt(rng, 15.5+formatGrade[f]+localShift, 5, retailer.MinGrade, retailer.MaxGrade)
		volume := gradeVolume(grade) * formatVolume[f] * lognormal(rng, 0.25)

		credit, fail := creditLevel(float64(grade)/30 + 0.25*rng.NormFloat64())
		gradeShare := float64(grade) / retailer.MaxGrade
		benchmark := rng.Float64() < 0.01+0.08*gradeShare*gradeShare
		collectionP := (0.04 + 0.14*gradeShare) * 1.2
		if ar.rural {
			collectionP = (0.04 + 0.14*gradeShare) * 0.7
		}
		collection := rng.Float64() < collectionP
		weeklySpend := volume * 130 // yuan, at a typical wholesale price
		balance := int64(math.Round(weeklySpend*uniform(rng, 0.8, 3.0)/100)) * 100 * 100
		balance = max(balance, 50000)

		status := retailer.Active
		p := outletParams{
			format:      f,
			volume:      volume,
			cover:       uniform(rng, 1.0, 1.5),
			skip:        0.02 + 0.20*math.Pow(float64(retailer.MaxGrade-grade)/29, 1.5),
			fail:        fail,
			trend:       0.04 * rng.NormFloat64(),
			closeWeek:   r.Weeks,
			suspendWeek: r.Weeks,
			upload:      uniform(rng, 0.85, 0.99),
		}
		switch u := rng.Float64(); {
		case u < 0.04:
			status = retailer.Closed
			p.closeWeek = r.Weeks/10 + rng.IntN(r.Weeks-r.Weeks/10)
		case u < 0.06:
			status = retailer.Suspended
			p.suspendWeek = max(0, r.Weeks-1-rng.IntN(12))
		}
		var market string
		if ar.rural {
			market = []string{"town", "village"}[pick(rng, []float64{0.55, 0.45})]
		} else {
			market = []string{"commercial", "residential", "suburban"}[pick(rng, []float64{0.35, 0.45, 0.2})]
		}
		name := fmt.Sprintf("%s%s%s", strings.TrimSuffix(strings.TrimSuffix(ar.name, "街道"), "镇"),
			shopWords[rng.IntN(len(shopWords))], shopKinds[f])
		if rng.Float64() < 0.5 {
			name = fmt.Sprintf("%s记%s", surnames[rng.IntN(len(surnames))], shopKinds[f])
		}
		number := 1 + rng.IntN(300) // drawn before the road: the random stream stays as it was
		road := roadNames[rng.IntN(len(roadNames))]
		r.Outlets[i] = retailer.Outlet{
			Licence:         fmt.Sprintf("%s%06d", countyCode, i+1),
			Name:            name,
			Address:         fmt.Sprintf("%s%s路%d号", ar.name, road, number),
			Area:            ar.name,
			Format:          retailer.Formats[f],
			Rural:           ar.rural,
			MarketType:      market,
			Grade:           grade,
			CreditLevel:     credit,
			Benchmark:       benchmark,
			CollectionPoint: collection,
			BalanceCents:    balance,
			Status:          status,
		}
		r.outlets[i] = p
	}
	r.assignRoutes(areas, outletArea)
}

// creditLevel maps a credit score to a level and the probability that a deduction fails.
func creditLevel(score float64) (string, float64) {
	switch {
	case score > 0.85:
		return "AAA", 0.002
	case score > 0.6:
		return "AA", 0.005
	case score > 0.3:
		return "A", 0.01
	case score > 0.1:
		return "B", 0.03
	default:
		return "C", 0.07
	}
}

// assignRoutes cuts each area's outlets, in index order, into delivery routes of about 80 outlets
// with one order day each (Monday to Friday) and into account managers' portfolios of about 150.
func (r *Region) assignRoutes(areas []area, outletArea []int) {
	members := make([][]int, len(areas))
	for i, a := range outletArea {
		members[a] = append(members[a], i)
	}
	rng := newStream(r.seed, streamManagers, 0)
	for a, m := range members {
		if len(m) == 0 {
			continue
		}
		nRoutes := max(1, int(math.Round(float64(len(m))/80)))
		nManagers := max(1, int(math.Round(float64(len(m))/150)))
		first := len(r.Managers)
		for range nManagers {
			r.Managers = append(r.Managers, retailer.Manager{
				Code: fmt.Sprintf("AM%04d", len(r.Managers)+1),
				Name: surnames[rng.IntN(len(surnames))] + givenNames[rng.IntN(len(givenNames))],
				Area: areas[a].name,
			})
		}
		for pos, i := range m {
			route := pos * nRoutes / len(m)
			day := (a + route) % 5 // Monday … Friday
			o := &r.Outlets[i]
			o.Route = fmt.Sprintf("%s-%02d", areas[a].code, route+1)
			o.OrderDay = time.Weekday(1 + day)
			o.Manager = r.Managers[first+pos*nManagers/len(m)].Code
			r.outlets[i].orderDay = day
		}
	}
}

// Listings ---------------------------------------------------------------------------------------------

// profile is what an outlet carries: the brands it lists (in catalogue order) and its expected
// weekly demand for each before calendar effects, once every new product has been launched. Until
// then, the new products' share goes to the other brands: a new product takes its demand from
// what the outlet already sells (it cannibalises), so that a launch does not lift the outlet's total.
type profile struct {
	listed []int
	base   []float64
	keys   []listingKey
	newW   []newWeight // the new products among listed
	total  float64     // sum of the listed brands' weights
}

type newWeight struct {
	brand int
	w     float64
}

// norm returns the factor that scales the outlet's listed brands in week w, so that their shares add
// up to one whatever new products have reached so far.
func (p *profile) norm(r *Region, w int) float64 {
	if len(p.newW) == 0 {
		return 1
	}
	missing := 0.0
	for _, n := range p.newW {
		missing += n.w * (1 - r.brands[n.brand].ramp[w])
	}
	if missing >= p.total {
		return 1 // nothing listed is on sale yet
	}
	return p.total / (p.total - missing)
}

type listingKey struct {
	brand int
	key   float64
	w     float64
}

// profile fills p with outlet i's listing, drawn from the outlet's own stream: small outlets carry a
// small part of the catalogue, chosen by weighted sampling without replacement (Efraimidis–Spirakis)
// on popularity and affinity.
func (r *Region) profile(i int, src *rand.PCG, rng *rand.Rand, p *profile) {
	reseed(src, r.seed, streamOutletProfile, uint64(i))
	o, op := &r.Outlets[i], &r.outlets[i]
	n := len(r.Brands)
	k := min(n, max(5, int(math.Round((8+2.2*float64(o.Grade))*lognormal(rng, 0.15)))))
	p.keys = p.keys[:0]
	for b := range r.brands {
		bp := &r.brands[b]
		w := bp.pop * bp.formatAff[op.format]
		if o.Rural {
			w *= bp.ruralAff
		}
		u := 1 - rng.Float64() // (0, 1]
		p.keys = append(p.keys, listingKey{brand: b, key: math.Log(u) / w, w: w})
	}
	slices.SortFunc(p.keys, func(a, b listingKey) int {
		switch {
		case a.key > b.key:
			return -1
		case a.key < b.key:
			return 1
		}
		return a.brand - b.brand
	})
	chosen := p.keys[:k]
	slices.SortFunc(chosen, func(a, b listingKey) int { return a.brand - b.brand })
	total := 0.0
	for _, c := range chosen {
		total += c.w
	}
	p.listed, p.base, p.newW, p.total = p.listed[:0], p.base[:0], p.newW[:0], total
	for _, c := range chosen {
		p.listed = append(p.listed, c.brand)
		p.base = append(p.base, op.volume*c.w/total)
		if r.brands[c.brand].newProduct {
			p.newW = append(p.newW, newWeight{brand: c.brand, w: c.w})
		}
	}
}

// setLimits sets each scarce brand's limit so that it grants some 55–90% of what a typical outlet of
// each grade expects to sell: measured on a sample of outlets' listings.
func (r *Region) setLimits() {
	sum := make([]float64, len(r.Brands))
	cnt := make([]int, len(r.Brands))
	src := &rand.PCG{}
	rng := rand.New(src)
	var p profile
	for i := range min(len(r.Outlets), 400) {
		r.profile(i, src, rng, &p)
		for j, b := range p.listed {
			if r.Brands[b].Scarce {
				sum[b] += p.base[j] / gradeVolume(r.Outlets[i].Grade)
				cnt[b]++
			}
		}
	}
	totalPop := 0.0
	for _, bp := range r.brands {
		totalPop += bp.pop
	}
	rng = newStream(r.seed, streamBrands, 1)
	for b := range r.brands {
		if !r.Brands[b].Scarce {
			continue
		}
		share := r.brands[b].pop / totalPop
		if cnt[b] > 0 {
			share = sum[b] / float64(cnt[b])
		}
		r.brands[b].limitBase = uniform(rng, 0.55, 0.9) * share
	}
}
