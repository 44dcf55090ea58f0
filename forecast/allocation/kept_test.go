package allocation_test

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/forecast/allocation"
	"github.com/ordercast/ordercast/retailer"
)

// keptWorld is previewWorld with the reads of kept inputs: a roster with a version that changes
// with every change of the outlets, and a forecast's runs apart from their demand; it counts reads.
type keptWorld struct {
	*previewWorld
	runs       map[string]map[string]float64 // demand by run; the latest run is previewWorld.run
	version    int
	rosterRead int
	demandRead int
}

func (w *keptWorld) change(f func()) { f(); w.version++ }

func (w *keptWorld) Roster(_ context.Context, have string) (string, []allocation.Outlet, error) {
	v := strconv.Itoa(w.version)
	if v == have {
		return v, nil, nil
	}
	w.rosterRead++
	return v, allocation.OutletsOf(w.outlets), nil
}

func (w *keptWorld) RunCovering(context.Context, time.Time) (string, error) {
	if w.run == "" {
		return "", forecast.ErrNoRun
	}
	return w.run, nil
}

func (w *keptWorld) RunBrandDemand(_ context.Context, run, _ string, _ time.Time) (map[string]float64, error) {
	w.demandRead++
	return w.runs[run], nil
}

func (w *keptWorld) BrandDemand(ctx context.Context, brand string, week time.Time) (map[string]float64, string, error) {
	run, err := w.RunCovering(ctx, week)
	if err != nil {
		return nil, "", err
	}
	d, err := w.RunBrandDemand(ctx, run, brand, week)
	return d, run, err
}

// A preview from kept outlets and kept demand is the plan computed from fresh reads, before and
// after each change of the outlets or of the forecast; nothing unchanged is read twice.
func TestKeptInputsGiveTheComputedPlan(t *testing.T) {
	pw, fresh, _ := newPreviewWorld()
	w := &keptWorld{previewWorld: pw, runs: map[string]map[string]float64{"run-1": pw.demand}}
	fresh.Demand = w
	kept := &allocation.Planner{Outlets: w, Demand: &allocation.KeptDemand{Source: w}, Limits: w, Archive: w, Previews: w,
		Roster: &allocation.KeptRoster{Source: w}, Now: fresh.Now}
	ctx := context.Background()
	check := func(step string, wantRosterReads, wantDemandReads int) {
		t.Helper()
		for _, req := range []allocation.Request{
			{Week: previewWeek, Brand: "B0001", Supply: 7, Mode: allocation.ByGrade},
			{Week: previewWeek, Brand: "B0001", Supply: 5, Mode: allocation.ByDemand, Options: allocation.Options{MinCoverage: 0.5}},
			{Week: previewWeek, Brand: "B0001", Supply: 4, Mode: allocation.BySelection, Selected: []string{"L1", "L3"}},
			{Week: previewWeek, Brand: "B0001", Supply: 900, Mode: allocation.ByGradeWithin, Dimension: allocation.District, Cap: 3},
		} {
			w.rosterRead, w.demandRead = 0, 0
			want, werr := fresh.Plan(ctx, req)
			w.rosterRead, w.demandRead = 0, 0
			got, gerr := kept.Plan(ctx, req)
			if (werr != nil) != (gerr != nil) {
				t.Fatalf("%s, %s: kept Plan = %v; computed %v", step, req.Mode, gerr, werr)
			}
			if werr != nil {
				continue
			}
			if !reflect.DeepEqual(got.Result, want.Result) || !reflect.DeepEqual(got.Summary, want.Summary) ||
				!reflect.DeepEqual(got.Warnings, want.Warnings) || got.ForecastRun != want.ForecastRun {
				t.Errorf("%s, %s: the plan from kept inputs = %+v\nwant the computed %+v", step, req.Mode, got, want)
			}
			if req.Mode == allocation.ByGrade && (w.rosterRead != wantRosterReads || w.demandRead != wantDemandReads) {
				t.Errorf("%s: kept Plan read the outlets %d and the demand %d times; want %d and %d", step,
					w.rosterRead, w.demandRead, wantRosterReads, wantDemandReads)
			}
			wantRosterReads, wantDemandReads = 0, 0 // the other requests find them kept
		}
	}
	check("first", 1, 1)
	check("unchanged", 0, 0)
	w.change(func() { w.outlets[1].Grade = 25 })
	check("grade", 1, 0)
	w.change(func() {
		w.outlets = append(w.outlets, retailer.Outlet{Licence: "L5", Grade: 9, Status: retailer.Active})
	})
	check("new outlet", 1, 0)
	w.change(func() { w.outlets[0].Status = retailer.Closed })
	check("closed", 1, 0)
	w.runs["run-2"] = map[string]float64{"L1": 7, "L2": 0.5, "L5": 3}
	w.run = "run-2"
	check("new run", 0, 1)
	w.run = ""
	check("no run", 0, 0)
}

// Kept outlets are checked once while they and the demand stay the same: an invalid outlet (a grade
// outside 1 … 30, a demand over MaxDemand) is refused by every preview until it is fixed, and not
// afterwards.
func TestKeptInputsInvalidEveryTime(t *testing.T) {
	pw, _, _ := newPreviewWorld()
	w := &keptWorld{previewWorld: pw, runs: map[string]map[string]float64{"run-1": pw.demand}}
	kept := &allocation.Planner{Outlets: w, Demand: &allocation.KeptDemand{Source: w}, Limits: w, Archive: w,
		Roster: &allocation.KeptRoster{Source: w}}
	ctx := context.Background()
	preview := func(step, wantField string, wantErr error) {
		t.Helper()
		for i := range 3 {
			_, err := kept.Plan(ctx, allocation.Request{Week: previewWeek, Brand: "B0001", Supply: 7, Mode: allocation.ByGrade})
			var verr *allocation.ValidationError
			switch {
			case wantErr == nil && err != nil:
				t.Errorf("%s, preview %d: %v; want a plan", step, i+1, err)
			case wantErr != nil && (!errors.As(err, &verr) || !errors.Is(err, wantErr) || verr.Field != wantField):
				t.Errorf("%s, preview %d: %v; want %v of %s", step, i+1, err, wantErr, wantField)
			}
		}
	}
	preview("valid", "", nil)
	w.change(func() { w.outlets[2].Grade = 0 })
	preview("grade 0", "outlets[2].grade", allocation.ErrGrade)
	w.change(func() { w.outlets[2].Grade = 30 })
	preview("fixed", "", nil)
	w.runs["run-2"] = map[string]float64{"L2": allocation.MaxDemand + 1}
	w.run = "run-2"
	preview("demand over the maximum", "outlets[1].demand", allocation.ErrDemand)
	w.run = "run-1"
	preview("the run before", "", nil)
}

// With RunAge, the run covering a week is looked up again only once the lookup is that old: a new
// run shows in previews after it, but publishing looks it up at once, refuses the preview of the
// run before (stale) and leaves the new run kept for the next preview.
func TestKeptDemandRunAge(t *testing.T) {
	pw, _, now := newPreviewWorld()
	w := &keptWorld{previewWorld: pw, runs: map[string]map[string]float64{"run-1": pw.demand,
		"run-2": {"L1": 9, "L2": 0.5, "L3": 4, "L4": 1}}}
	kept := &allocation.Planner{Outlets: w, Demand: &allocation.KeptDemand{Source: w, RunAge: 30 * time.Second,
		Now: func() time.Time { return *now }}, Limits: w, Archive: w, Previews: w, Roster: &allocation.KeptRoster{Source: w},
		PreviewTTL: time.Hour, Now: func() time.Time { return *now }}
	ctx := context.Background()
	req := allocation.Request{Week: previewWeek, Brand: "B0001", Supply: 7, Mode: allocation.ByDemand}
	preview := func(step, wantRun string) *allocation.Plan {
		t.Helper()
		plan, _, err := kept.Preview(ctx, req)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if plan.ForecastRun != wantRun {
			t.Errorf("%s: the preview's run %q; want %q", step, plan.ForecastRun, wantRun)
		}
		*now = now.Add(time.Second) // each preview its own id
		return plan
	}
	preview("first", "run-1")
	w.run = "run-2"
	old := preview("a new run, the lookup 1 s old", "run-1")
	*now = now.Add(30 * time.Second)
	preview("the lookup 31 s old", "run-2")

	w.run = "run-1" // back to the first run (a run withdrawn), then a new one again
	*now = now.Add(31 * time.Second)
	preview("the run before again", "run-1")
	w.run = "run-2"
	if _, err := kept.PublishKept(ctx, previewWeek, old.ID, 7); !errors.Is(err, allocation.ErrStalePreview) {
		t.Errorf("PublishKept of run-1's preview once run-2 covers the week = %v; want ErrStalePreview", err)
	}
	preview("after publishing looked the run up", "run-2")
	kept.Wait()

	w.run = ""
	*now = now.Add(31 * time.Second)
	if _, _, err := kept.Preview(ctx, req); !errors.Is(err, allocation.ErrNoDemand) {
		t.Errorf("Preview without a run = %v; want ErrNoDemand", err)
	}
	w.run = "run-1"
	preview("no run is not kept", "run-1")
}

// blockingStore is a PreviewStore shared by two planners (two processes) whose KeepPreview waits
// until released, or fails.
type blockingStore struct {
	*previewWorld
	release chan struct{}
	fail    error
}

func (s *blockingStore) KeepPreview(ctx context.Context, id string, week time.Time, body []byte, expires time.Time) error {
	<-s.release
	if s.fail != nil {
		return s.fail
	}
	return s.previewWorld.KeepPreview(ctx, id, week, body, expires)
}

// A preview is answered before its plan is written; this process pages it from memory at once,
// another waits for the plan and reads the same, and Wait returns once it is written.
func TestPreviewAnsweredBeforeKept(t *testing.T) {
	w, here, _ := newPreviewWorld()
	store := &blockingStore{previewWorld: w, release: make(chan struct{})}
	here.Previews = store
	there := &allocation.Planner{Outlets: w, Demand: w, Limits: w, Archive: w, Previews: store, Now: here.Now}
	ctx := context.Background()
	plan, _, err := here.Preview(ctx, allocation.Request{Week: previewWeek, Brand: "B0001", Supply: 7, Mode: allocation.ByGrade})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := here.Kept(ctx, previewWeek, plan.ID); err != nil || got != plan {
		t.Errorf("Kept in the process that previewed, before the plan is written = %v, %v; want the plan from memory", got, err)
	}
	var got *allocation.Plan
	var gotErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		got, gotErr = there.Kept(ctx, previewWeek, plan.ID)
	}()
	time.Sleep(100 * time.Millisecond) // there waits: the plan is not written yet
	close(store.release)
	wg.Wait()
	here.Wait()
	if gotErr != nil || !reflect.DeepEqual(got.Result, plan.Result) || !reflect.DeepEqual(got.Warnings, plan.Warnings) ||
		got.ID != plan.ID {
		t.Errorf("Kept in another process = %+v, %v; want the preview %+v", got, gotErr, plan)
	}
	if _, err := there.PublishKept(ctx, previewWeek, plan.ID, 7); err != nil || len(w.ids) != 1 || w.ids[0] != plan.ID {
		t.Errorf("PublishKept in another process = %v, published %v; want the preview %s", err, w.ids, plan.ID)
	}

	// A plan that cannot be written is forgotten here too, so that no page shows what no other
	// process can publish.
	w2, here2, _ := newPreviewWorld()
	failing := &blockingStore{previewWorld: w2, release: make(chan struct{}), fail: errors.New("disk full")}
	close(failing.release)
	here2.Previews = failing
	plan2, _, err := here2.Preview(ctx, allocation.Request{Week: previewWeek, Brand: "B0001", Supply: 7, Mode: allocation.ByGrade})
	if err != nil {
		t.Fatal(err)
	}
	here2.Wait()
	if _, err := here2.PublishKept(ctx, previewWeek, plan2.ID, 7); !errors.Is(err, allocation.ErrNoPreview) || len(w2.ids) != 0 {
		t.Errorf("PublishKept of a preview whose plan was never written = %v, published %v; want ErrNoPreview, nothing published", err, w2.ids)
	}
}

// A plan's warnings carry their code and parameters: no run covering the week, a run without the
// brand, supply the outlets cannot take.
func TestPlanWarnings(t *testing.T) {
	pw, p, _ := newPreviewWorld()
	w := &keptWorld{previewWorld: pw, runs: map[string]map[string]float64{"run-1": pw.demand, "run-2": {}}}
	p.Demand = w
	ctx := context.Background()
	req := allocation.Request{Week: previewWeek, Brand: "B0001", Supply: 7, Mode: allocation.ByGrade}
	capped := req
	capped.Supply, capped.Cap = 30, 2
	for _, tt := range []struct {
		name string
		run  string
		req  allocation.Request
		want []allocation.Warning
	}{
		{"none", "run-1", req, nil},
		{"no run", "", req, []allocation.Warning{{Code: allocation.WarnNoRun, Params: map[string]any{"week": "2026-11-30"}}}},
		{"no demand", "run-2", req, []allocation.Warning{{Code: allocation.WarnNoBrandDemand,
			Params: map[string]any{"run": "run-2", "brand": "B0001", "week": "2026-11-30"}}}},
		{"unallocated", "run-1", capped, []allocation.Warning{{Code: allocation.WarnUnallocated, Params: map[string]any{"cartons": 22}}}},
	} {
		w.run = tt.run
		plan, err := p.Plan(ctx, tt.req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !reflect.DeepEqual(plan.Warnings, tt.want) {
			t.Errorf("%s: Warnings = %+v; want %+v", tt.name, plan.Warnings, tt.want)
		}
	}
}

// A kept plan reads back with its warnings, parameters and all.
func TestEncodedPlanKeepsWarnings(t *testing.T) {
	_, p, _ := newPreviewWorld()
	plan, err := p.Plan(context.Background(), allocation.Request{Week: previewWeek, Brand: "B0001", Supply: 30, Mode: allocation.ByGrade, Cap: 2})
	if err != nil {
		t.Fatal(err)
	}
	plan.Warnings = append(plan.Warnings, allocation.Warning{Code: allocation.WarnNoBrandDemand,
		Params: map[string]any{"run": "run-1", "brand": "B0001", "week": "2026-11-30"}})
	body, err := allocation.EncodePlan(plan)
	if err != nil {
		t.Fatal(err)
	}
	got, err := allocation.DecodePlan(body)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Warnings, plan.Warnings) || len(got.Warnings) != 2 || !reflect.DeepEqual(got.Result, plan.Result) {
		t.Errorf("DecodePlan(EncodePlan) warnings = %+v; want %+v", got.Warnings, plan.Warnings)
	}
}
