package allocation_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ordercast/ordercast/forecast/allocation"
	"github.com/ordercast/ordercast/forecast/allocation/allocationtest"
	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/retailer"
)

// previewWorld is the planner's stores in memory: outlets, a forecast run, the published limits and
// the kept previews.
type previewWorld struct {
	outlets   []retailer.Outlet
	demand    map[string]float64
	run       string
	published [][]ordering.OutletLimit
	ids       []string
	bases     []time.Time // each publication's basis
	archived  int
	// supplyAt is when the brand's supply was last published, as SupplyPublishedAt answers.
	supplyAt time.Time
	allocationtest.Previews
}

func (w *previewWorld) Outlets(context.Context) ([]retailer.Outlet, error) {
	return append([]retailer.Outlet(nil), w.outlets...), nil
}

func (w *previewWorld) BrandDemand(context.Context, string, time.Time) (map[string]float64, string, error) {
	return w.demand, w.run, nil
}

func (w *previewWorld) BandDemand(context.Context, int, time.Time) (map[string]float64, string, error) {
	return w.demand, w.run, nil
}

func (w *previewWorld) SupplyPublishedAt(context.Context, time.Time, string) (time.Time, error) {
	return w.supplyAt, nil
}

func (w *previewWorld) PublishAllocation(_ context.Context, _ time.Time, _ ordering.SupplyLine, _, id string,
	basedOn time.Time, limits []ordering.OutletLimit, _ int64, _ time.Time) error {
	w.published, w.ids, w.bases = append(w.published, limits), append(w.ids, id), append(w.bases, basedOn)
	return nil
}

func (w *previewWorld) WriteAllocation(context.Context, string, time.Time, *allocation.Result, []string, bool, time.Time) error {
	w.archived++
	return nil
}

func newPreviewWorld() (*previewWorld, *allocation.Planner, *time.Time) {
	w := &previewWorld{run: "run-1",
		demand: map[string]float64{"L1": 2, "L2": 5.5, "L3": 1.2, "L4": 0}}
	for i, g := range []int{5, 12, 20, 8} {
		w.outlets = append(w.outlets, retailer.Outlet{Licence: []string{"L1", "L2", "L3", "L4"}[i], Grade: g,
			Status: retailer.Active, Area: "西湖区"})
	}
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	p := &allocation.Planner{Outlets: w, Demand: w, Limits: w, Archive: w, Previews: w, PreviewTTL: 30 * time.Minute,
		Now: func() time.Time { return now }}
	return w, p, &now
}

var previewWeek = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// A kept preview reads back as it was computed, and publishing it publishes exactly its limits and
// explanations under its id.
func TestPublishKeptPublishesThePreview(t *testing.T) {
	w, p, now := newPreviewWorld()
	w.supplyAt = now.Add(-time.Hour) // the brand's supply was published an hour before the preview
	previewedOn := w.supplyAt
	req := allocation.Request{Week: previewWeek, Brand: "B0001", Supply: 7, Mode: allocation.ByGrade}
	plan, expires, err := p.Preview(context.Background(), req)
	if err != nil {
		t.Fatalf("Preview: %v", err)
	}
	if want := now.Add(30 * time.Minute); !expires.Equal(want) {
		t.Errorf("Preview expires at %s; want %s", expires, want)
	}
	kept, err := p.Kept(context.Background(), previewWeek, plan.ID)
	if err != nil {
		t.Fatalf("Kept(%s): %v", plan.ID, err)
	}
	if !reflect.DeepEqual(kept.Result, plan.Result) || !reflect.DeepEqual(kept.Result.Explanations(), plan.Result.Explanations()) ||
		!reflect.DeepEqual(kept.Summary, plan.Summary) || kept.ForecastRun != "run-1" || kept.ID != plan.ID {
		t.Fatalf("Kept = %+v\nwant the preview %+v", kept, plan)
	}
	*now = now.Add(time.Minute)        // a later Plan would carry another id
	w.supplyAt = now.Add(-time.Second) // published again since the preview: the store decides (basedOn)
	published, err := p.PublishKept(context.Background(), previewWeek, plan.ID, 7)
	if err != nil {
		t.Fatalf("PublishKept: %v", err)
	}
	if published.ID != plan.ID || len(w.ids) != 1 || w.ids[0] != plan.ID || w.archived != 1 {
		t.Fatalf("PublishKept published %v (archived %d); want the preview %s once", w.ids, w.archived, plan.ID)
	}
	if !w.bases[0].Equal(previewedOn) {
		t.Errorf("PublishKept passed the basis %s; want the preview's, %s, not the line's now", w.bases[0], previewedOn)
	}
	for i, l := range w.published[0] {
		if l.Outlet != plan.Result.Limits[i].Outlet || l.Cartons != plan.Result.Limits[i].Cartons || l.Explanation != plan.Result.Explain(i) {
			t.Errorf("published limit %d = %+v; want the preview's %s %d %q", i, l, plan.Result.Limits[i].Outlet,
				plan.Result.Limits[i].Cartons, plan.Result.Explain(i))
		}
	}
}

// A kept preview read back from the store (by another process, or once this one's memory has let it
// go) is the plan as it was computed, an outlet that was not eligible (suspended) included: such an
// outlet is in no group, and the store's body once could not be read back with one.
func TestDecodePlanKeepsIneligibleOutlets(t *testing.T) {
	w, p, now := newPreviewWorld()
	w.outlets[2].Status = retailer.Suspended
	w.supplyAt = now.Add(-time.Hour)
	for _, supply := range []int{7, 0} {
		plan, err := p.Plan(context.Background(), allocation.Request{Week: previewWeek, Brand: "B0001", Supply: supply, Mode: allocation.ByGrade})
		if err != nil {
			t.Fatalf("Plan: %v", err)
		}
		if plan.Result.Limits[2].Eligible() {
			t.Fatalf("the suspended outlet %+v is eligible", plan.Result.Limits[2])
		}
		body, err := allocation.EncodePlan(plan)
		if err != nil {
			t.Fatalf("EncodePlan: %v", err)
		}
		kept, err := allocation.DecodePlan(body)
		if err != nil {
			t.Fatalf("supply %d: DecodePlan: %v", supply, err)
		}
		if !reflect.DeepEqual(kept.Result, plan.Result) || !reflect.DeepEqual(kept.Summary, plan.Summary) ||
			!reflect.DeepEqual(kept.Result.Explanations(), plan.Result.Explanations()) || !kept.BasedOn.Equal(w.supplyAt) {
			t.Errorf("supply %d: DecodePlan = %+v based on %s\nwant the plan %+v based on %s", supply, kept.Result, kept.BasedOn, plan.Result, w.supplyAt)
		}
	}
}

// Publishing refuses a preview whose inputs changed (an outlet's grade, a new outlet, a new forecast
// run, an outlet closed) and publishes nothing; an unknown, expired or other cycle's id is ErrNoPreview.
func TestPublishKeptRefusesChangedInputs(t *testing.T) {
	changes := []struct {
		name   string
		change func(w *previewWorld)
	}{
		{"grade", func(w *previewWorld) { w.outlets[1].Grade = 25 }},
		{"new outlet", func(w *previewWorld) {
			w.outlets = append(w.outlets, retailer.Outlet{Licence: "L5", Grade: 9, Status: retailer.Active})
		}},
		{"forecast run", func(w *previewWorld) { w.run = "run-2" }},
		{"closed", func(w *previewWorld) { w.outlets[0].Status = retailer.Closed }},
	}
	for _, tt := range changes {
		t.Run(tt.name, func(t *testing.T) {
			w, p, _ := newPreviewWorld()
			plan, _, err := p.Preview(context.Background(), allocation.Request{Week: previewWeek, Brand: "B0001", Supply: 7, Mode: allocation.ByGrade})
			if err != nil {
				t.Fatal(err)
			}
			tt.change(w)
			if _, err := p.PublishKept(context.Background(), previewWeek, plan.ID, 7); !errors.Is(err, allocation.ErrStalePreview) {
				t.Errorf("PublishKept after a change of %s = %v; want ErrStalePreview", tt.name, err)
			}
			if len(w.published) != 0 {
				t.Errorf("PublishKept after a change of %s published %d allocations; want none", tt.name, len(w.published))
			}
		})
	}

	w, p, now := newPreviewWorld()
	plan, _, err := p.Preview(context.Background(), allocation.Request{Week: previewWeek, Brand: "B0001", Supply: 7, Mode: allocation.ByGrade})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Kept(context.Background(), previewWeek.AddDate(0, 0, 7), plan.ID); !errors.Is(err, allocation.ErrNoPreview) {
		t.Errorf("Kept in another cycle = %v; want ErrNoPreview", err)
	}
	if _, err := p.PublishKept(context.Background(), previewWeek, "no-such-id", 7); !errors.Is(err, allocation.ErrNoPreview) {
		t.Errorf("PublishKept(unknown id) = %v; want ErrNoPreview", err)
	}
	*now = now.Add(31 * time.Minute)
	if _, err := p.PublishKept(context.Background(), previewWeek, plan.ID, 7); !errors.Is(err, allocation.ErrNoPreview) {
		t.Errorf("PublishKept after expiry = %v; want ErrNoPreview", err)
	}
	if len(w.published) != 0 {
		t.Errorf("published %d allocations; want none", len(w.published))
	}
}
