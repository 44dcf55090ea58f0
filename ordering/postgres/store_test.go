package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/ordering"
)

func TestSeedCatalogue(t *testing.T) {
	ctx := context.Background()
	pool := storestest.Postgres(t)
	s := New(pool)
	mfrs := []ordering.Manufacturer{{Code: "M01", Name: "Yunling Industrial Co."}}
	launch := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	brand := func(code, mfr string) ordering.Brand {
		return ordering.Brand{Code: code, Name: "Panda " + code, Manufacturer: mfr, PriceClass: 2,
			WholesaleCents: 20000, RetailCents: 23000}
	}
	newBrand := brand("B3", "M01")
	newBrand.NewProduct, newBrand.LaunchDate, newBrand.Lifecycle = true, launch, ordering.Introduced

	tests := []struct {
		name       string
		brands     []ordering.Brand
		wantErr    error
		wantBrands int64
	}{
		{"unknown manufacturer loads nothing", []ordering.Brand{brand("B1", "M01"), brand("B2", "M77")}, ErrUnknownManufacturer, 0},
		{"catalogue", []ordering.Brand{brand("B1", "M01"), brand("B2", "M01"), newBrand}, nil, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.DeleteCatalogue(ctx); err != nil {
				t.Fatalf("DeleteCatalogue: %v", err)
			}
			err := s.LoadCatalogue(ctx, mfrs, tt.brands)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("LoadCatalogue = %v; want %v", err, tt.wantErr)
			}
			brands, _, err := s.CatalogueCounts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if brands != tt.wantBrands {
				t.Errorf("%d brands; want %d", brands, tt.wantBrands)
			}
			if tt.wantErr != nil {
				return
			}
			var packs int16
			var lifecycle string
			var day *time.Time
			if err := pool.QueryRow(ctx, "SELECT packs_per_unit, lifecycle, launch_date FROM brands WHERE code = 'B1'").Scan(&packs, &lifecycle, &day); err != nil {
				t.Fatal(err)
			}
			if packs != 10 || lifecycle != "maintained" || day != nil {
				t.Errorf("B1: %d packs, %s, launch %v; want 10, maintained, none", packs, lifecycle, day)
			}
			if err := pool.QueryRow(ctx, "SELECT lifecycle, launch_date FROM brands WHERE code = 'B3'").Scan(&lifecycle, &day); err != nil {
				t.Fatal(err)
			}
			if lifecycle != "introduced" || day == nil || !day.Equal(launch) {
				t.Errorf("B3: %s, launch %v; want introduced, %s", lifecycle, day, launch)
			}
		})
	}
}
