package retailer

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestValidateScans(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	at := now.Add(-2 * time.Hour)
	known := func(b string) bool { return b == "B1" || b == "B2" }
	sell := func(brand string, at time.Time, qty float64) Scan {
		return Scan{Outlet: "O1", Brand: brand, Kind: SellOut, At: at, Qty: qty}
	}
	stock := func(brand string, at time.Time, qty float64) Scan {
		return Scan{Outlet: "O1", Brand: brand, Kind: StockCount, At: at, Qty: qty}
	}
	type want struct {
		row    int
		reason RejectReason
	}
	tests := []struct {
		name   string
		rows   []Scan
		recent map[string]float64
		want   []want
	}{
		{"all good", []Scan{sell("B1", at, 20), stock("B1", at, 40), stock("B2", at, 0)}, nil, nil},
		{"unknown and empty brand", []Scan{sell("B9", at, 1), sell("", at, 1), sell("b1", at, 1)}, nil,
			[]want{{1, RejectUnknownBrand}, {2, RejectUnknownBrand}, {3, RejectUnknownBrand}}},
		{"negative stock and negative sell-out", []Scan{stock("B1", at, -1), sell("B2", at, -0.5), sell("B1", at, 0)}, nil,
			[]want{{1, RejectNegativeStock}, {2, RejectNegativeQuantity}}},
		{"future beyond the tolerance only", []Scan{
			sell("B1", now.Add(FutureTolerance), 1), sell("B2", now.Add(FutureTolerance+time.Second), 1),
			stock("B1", now.Add(48*time.Hour), 1)}, nil,
			[]want{{2, RejectFutureTime}, {3, RejectFutureTime}}},
		{"duplicates: the first of a key counts, to the second", []Scan{
			sell("B1", at, 5), sell("B1", at.Add(300*time.Millisecond), 7), stock("B1", at, 5),
			sell("B1", at.Add(time.Second), 5), sell("B1", at, 5)}, nil,
			[]want{{2, RejectDuplicate}, {5, RejectDuplicate}}},
		{"a duplicate of a rejected row is still a duplicate", []Scan{stock("B1", at, -3), stock("B1", at, 3)}, nil,
			[]want{{1, RejectNegativeStock}, {2, RejectDuplicate}}},
		{"the first reason in the documented order wins", []Scan{
			stock("B9", now.Add(time.Hour), -1), stock("B1", now.Add(time.Hour), -1), stock("B1", now.Add(time.Hour), 1),
			stock("B1", now.Add(time.Hour), 1)}, nil,
			[]want{{1, RejectUnknownBrand}, {2, RejectNegativeStock}, {3, RejectFutureTime}, {4, RejectFutureTime}}},
		{"no history: the floor", []Scan{stock("B1", at, StockFloorPacks), stock("B2", at, StockFloorPacks+1)}, nil,
			[]want{{2, RejectStockToSales}}},
		{"stored history raises the cap: 52 weeks of 160/8 = 1040", []Scan{stock("B1", at, 1040), stock("B1", at.Add(time.Minute), 1041)},
			map[string]float64{"B1": 160}, []want{{2, RejectStockToSales}}},
		{"the batch's own sell-out counts", []Scan{sell("B1", at, 160), stock("B1", at, 1040), stock("B2", at, 1040)}, nil,
			[]want{{3, RejectStockToSales}}},
		{"rejected, future and out-of-window sell-out does not count", []Scan{
			sell("B1", at, 100), sell("B1", at, 100), // duplicate: rejected
			sell("B1", now.Add(10*time.Minute), 100),                   // within the tolerance but after now
			sell("B1", SellOutWindowStart(now).Add(-time.Second), 100), // before the window
			sell("B1", SellOutWindowStart(now), 60),                    // first moment of the window: 160 in all
			stock("B1", at, 1040), stock("B1", at.Add(time.Second), 1041)}, nil,
			[]want{{2, RejectDuplicate}, {7, RejectStockToSales}}},
		{"history of other brands does not count", []Scan{stock("B1", at, 2000)}, map[string]float64{"B2": 1e6},
			[]want{{1, RejectStockToSales}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ValidateScans(tt.rows, now, known, tt.recent)
			var gotW []want
			for _, r := range got {
				gotW = append(gotW, want{r.Row, r.Reason})
				if r.Detail != r.Reason.Explain(tt.rows[r.Row-1]) || r.Detail == "" {
					t.Errorf("row %d: Detail = %q; want Explain of the row", r.Row, r.Detail)
				}
			}
			if !reflect.DeepEqual(gotW, tt.want) {
				t.Errorf("ValidateScans(%s) = %v; want %v", tt.name, gotW, tt.want)
			}
		})
	}
}

func TestValidateScansDeterministic(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	var rows []Scan
	for i := range 500 {
		rows = append(rows, Scan{Brand: []string{"B1", "B2", "B3"}[i%3], Kind: []ScanKind{SellOut, StockCount}[i%2],
			At: now.Add(-time.Duration(i%17) * time.Hour), Qty: float64(i*37%2500 - 100)})
	}
	known := func(b string) bool { return b != "B3" }
	first := ValidateScans(rows, now, known, map[string]float64{"B1": 300})
	for range 5 {
		if again := ValidateScans(rows, now, known, map[string]float64{"B1": 300}); !reflect.DeepEqual(again, first) {
			t.Fatal("ValidateScans gave two answers for the same input")
		}
	}
}

func TestStockCap(t *testing.T) {
	tests := []struct{ sellOut, want float64 }{
		{0, StockFloorPacks}, {100, StockFloorPacks}, {160, 1040}, {800, 5200},
	}
	for _, tt := range tests {
		if got := StockCap(tt.sellOut); got != tt.want {
			t.Errorf("StockCap(%v) = %v; want %v", tt.sellOut, got, tt.want)
		}
	}
}

func TestSellOutWindowStart(t *testing.T) {
	now := time.Date(2026, 11, 22, 3, 0, 0, 0, time.FixedZone("CST", 8*3600)) // 2026-11-21 19:00 UTC
	if got, want := SellOutWindowStart(now), time.Date(2026, 9, 26, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("SellOutWindowStart(%v) = %v; want %v", now, got, want)
	}
}

func TestRejectExplain(t *testing.T) {
	row := Scan{Brand: "B1", Kind: StockCount, At: time.Date(2026, 11, 22, 20, 0, 0, 500, time.FixedZone("CST", 8*3600)), Qty: 5000}
	for _, r := range RejectReasons {
		got := r.Explain(row)
		if got == "" || got == string(r) {
			t.Errorf("%s.Explain = %q; want an explanation", r, got)
		}
	}
	if got := RejectFutureTime.Explain(row); !strings.Contains(got, "2026-11-22T12:00:00Z") {
		t.Errorf("future_time.Explain = %q; want the time in UTC to the second", got)
	}
}

func TestMayUploadScans(t *testing.T) {
	for _, r := range Roles {
		want := r == RoleRetailer || r == RoleAdmin
		if got := (Principal{Role: r}).MayUploadScans(); got != want {
			t.Errorf("Principal{Role: %s}.MayUploadScans() = %v; want %v", r, got, want)
		}
	}
}

// A batch that SellOutNeeded says needs no sell-out is validated the same whatever the sell-out; one
// with a stock count above the floor may not be.
func TestSellOutNeeded(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	at := now.Add(-time.Hour)
	known := func(b string) bool { return b != "B9" }
	row := func(brand string, kind ScanKind, qty float64) Scan {
		return Scan{Outlet: "O1", Brand: brand, Kind: kind, At: at, Qty: qty}
	}
	tests := []struct {
		name string
		rows []Scan
		want bool
	}{
		{"sell-out only", []Scan{row("B1", SellOut, 5000), row("B2", SellOut, 1)}, false},
		{"stock counts up to the floor", []Scan{row("B1", StockCount, StockFloorPacks), row("B2", StockCount, -3), row("B9", StockCount, 0)}, false},
		{"a stock count above the floor", []Scan{row("B1", SellOut, 1), row("B2", StockCount, StockFloorPacks+0.5)}, true},
		{"none", nil, false},
	}
	histories := []map[string]float64{nil, {}, {"B1": 0, "B2": 0}, {"B1": -50, "B2": 1e9}, {"B2": 1e-9}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SellOutNeeded(tt.rows); got != tt.want {
				t.Fatalf("SellOutNeeded = %v; want %v", got, tt.want)
			}
			if tt.want {
				return
			}
			first := ValidateScans(tt.rows, now, known, nil)
			for _, h := range histories {
				if got := ValidateScans(tt.rows, now, known, h); !reflect.DeepEqual(got, first) {
					t.Errorf("ValidateScans with sell-out %v = %v; want %v as without", h, got, first)
				}
			}
		})
	}
}

// BenchmarkValidateScans checks an upload of 5,000 rows of 40 brands, half of them stock counts.
func BenchmarkValidateScans(b *testing.B) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	rows := make([]Scan, 5000)
	for i := range rows {
		rows[i] = Scan{Outlet: "O1", Brand: fmt.Sprintf("B%02d", i%40), Kind: []ScanKind{SellOut, StockCount}[i/40%2],
			At: now.Add(-time.Duration(i/80) * time.Second), Qty: float64(1 + i%20)}
	}
	known := func(string) bool { return true }
	b.ReportAllocs()
	for b.Loop() {
		if rejects := ValidateScans(rows, now, known, nil); len(rejects) != 0 {
			b.Fatalf("%d rejects", len(rejects))
		}
	}
}
