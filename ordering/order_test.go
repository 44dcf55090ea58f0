package ordering

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func intp(n int) *int { return &n }

func TestGrant(t *testing.T) {
	offers := map[string]Offer{
		"A": {BrandID: 1, OnSale: true, PriceCents: 1000},                     // not limited
		"S": {BrandID: 2, OnSale: true, PriceCents: 5000, Remaining: intp(3)}, // scarce: 3 left
		"Z": {BrandID: 3, OnSale: true, PriceCents: 700, Remaining: intp(0)},  // limit used up
		"X": {BrandID: 4, OnSale: false, PriceCents: 100},
		"P": {BrandID: 5, OnSale: true, PriceCents: 900, Remaining: intp(2), Bound: BySupply}, // 2 left of the supply
		"W": {BrandID: 6, OnSale: true, PriceCents: 800, AwaitingSupply: true},                // scarce, supply not published
	}
	tests := []struct {
		name         string
		reqs         []LineRequest
		allOrNothing bool
		want         []Line
		wantErr      error
	}{
		{"within limits", []LineRequest{{"S", 2}, {"A", 5}}, false, []Line{
			{Brand: "A", BrandID: 1, Requested: 5, Granted: 5, PriceCents: 1000},
			{Brand: "S", BrandID: 2, Requested: 2, Granted: 2, Limit: intp(3), PriceCents: 5000},
		}, nil},
		{"above the limit is granted the limit, requested kept", []LineRequest{{"S", 7}}, false, []Line{
			{Brand: "S", BrandID: 2, Requested: 7, Granted: 3, Limit: intp(3), PriceCents: 5000, Reason: ByLimit},
		}, nil},
		{"used-up limit grants zero", []LineRequest{{"Z", 1}}, false, []Line{
			{Brand: "Z", BrandID: 3, Requested: 1, Granted: 0, Limit: intp(0), PriceCents: 700, Reason: ByLimit},
		}, nil},
		{"above what is left of the supply says so", []LineRequest{{"P", 5}}, false, []Line{
			{Brand: "P", BrandID: 5, Requested: 5, Granted: 2, Limit: intp(2), PriceCents: 900, Reason: BySupply},
		}, nil},
		{"all or nothing refuses above the supply", []LineRequest{{"P", 3}}, true, nil, ErrLimitExceeded},
		{"all or nothing refuses", []LineRequest{{"A", 1}, {"S", 4}}, true, nil, ErrLimitExceeded},
		{"all or nothing within limits", []LineRequest{{"S", 3}}, true, []Line{
			{Brand: "S", BrandID: 2, Requested: 3, Granted: 3, Limit: intp(3), PriceCents: 5000},
		}, nil},
		{"not on sale", []LineRequest{{"X", 1}}, false, nil, ErrNotOnSale},
		{"unknown brand", []LineRequest{{"Q", 1}}, false, nil, ErrNotOnSale},
		{"awaiting its supply", []LineRequest{{"A", 1}, {"W", 1}}, false, nil, ErrNotOnSale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Grant(tt.reqs, offers, tt.allOrNothing)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Grant(%v, %v) error = %v; want %v", tt.reqs, tt.allOrNothing, err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Grant(%v, %v) = %+v; want %+v", tt.reqs, tt.allOrNothing, got, tt.want)
			}
		})
	}
}

func TestGrantAwaitingSupplyNamesTheLine(t *testing.T) {
	offers := map[string]Offer{"A": {OnSale: true}, "W": {OnSale: true, AwaitingSupply: true}}
	_, err := Grant([]LineRequest{{"A", 1}, {"W", 2}}, offers, false)
	var le *LinesError
	if !errors.As(err, &le) {
		t.Fatalf("Grant = %v; want a *LinesError", err)
	}
	f := le.FieldErrors()
	if len(f) != 1 || !strings.Contains(f["lines[1].brand"], "supply") {
		t.Errorf("fields %v; want only lines[1].brand, naming the supply", f)
	}
}

func TestAwaitingSupply(t *testing.T) {
	for _, tt := range []struct{ scarce, published, want bool }{
		{false, false, false}, {false, true, false}, {true, false, true}, {true, true, false},
	} {
		if got := AwaitingSupply(tt.scarce, tt.published); got != tt.want {
			t.Errorf("AwaitingSupply(scarce %t, published %t) = %t; want %t", tt.scarce, tt.published, got, tt.want)
		}
	}
	l := CatalogueLine{Brand: Brand{Scarce: true}, OnSale: true}
	if s := SuggestFor(Demand{Expected: 5, Upper: 8}, nil, l); s.Quantity != 0 || !strings.Contains(s.Explanation, "not published") {
		t.Errorf("SuggestFor a line awaiting its supply = %+v; want 0, saying why", s)
	}
	l.SupplyPublished = true
	if s := SuggestFor(Demand{Expected: 5, Upper: 8}, nil, l); s.Quantity != 8 {
		t.Errorf("SuggestFor the line once published = %+v; want 8", s)
	}
}

func TestValidateLines(t *testing.T) {
	tests := []struct {
		name  string
		reqs  []LineRequest
		field string
	}{
		{"none", nil, "lines"},
		{"zero cartons", []LineRequest{{"A", 0}}, "lines[0].quantity"},
		{"too many cartons", []LineRequest{{"A", MaxCartons + 1}}, "lines[0].quantity"},
		{"no brand", []LineRequest{{"", 1}}, "lines[0].brand"},
		{"brand twice", []LineRequest{{"A", 1}, {"A", 2}}, "lines[1].brand"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v *ValidationError
			if err := ValidateLines(tt.reqs); !errors.As(err, &v) || v.FieldErrors()[tt.field] == "" {
				t.Errorf("ValidateLines(%v) = %v; want a field error for %s", tt.reqs, err, tt.field)
			}
		})
	}
	if err := ValidateLines([]LineRequest{{"A", 1}, {"B", MaxCartons}}); err != nil {
		t.Errorf("ValidateLines(valid) = %v", err)
	}
}

func TestWindows(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	week := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC) // a Monday
	ws := WindowPolicy{CloseHour: 18, Location: shanghai}.Windows(week)
	if len(ws) != 7 || ws[0].OrderDay != time.Monday || ws[6].OrderDay != time.Sunday {
		t.Fatalf("Windows = %+v; want Monday … Sunday", ws)
	}
	mon, _ := WindowFor(ws, time.Monday)
	wantClose := time.Date(2026, 11, 22, 18, 0, 0, 0, shanghai) // the Sunday evening before
	if !mon.ClosesAt.Equal(wantClose) || !mon.OpensAt.Equal(wantClose.AddDate(0, 0, -7)) {
		t.Errorf("Monday window = %v … %v; want %v … %v", mon.OpensAt, mon.ClosesAt, wantClose.AddDate(0, 0, -7), wantClose)
	}
	fri, _ := WindowFor(ws, time.Friday)
	if want := time.Date(2026, 11, 26, 18, 0, 0, 0, shanghai); !fri.ClosesAt.Equal(want) {
		t.Errorf("Friday window closes %v; want %v (Thursday evening)", fri.ClosesAt, want)
	}
	tests := []struct {
		at   time.Time
		open bool
	}{
		{wantClose.Add(-time.Nanosecond), true},
		{wantClose, false},
		{wantClose.AddDate(0, 0, -7), true},
		{wantClose.AddDate(0, 0, -7).Add(-time.Second), false},
	}
	for _, tt := range tests {
		if got := mon.Open(tt.at); got != tt.open {
			t.Errorf("Monday window Open(%v) = %v; want %v", tt.at, got, tt.open)
		}
	}
	if got := WeekStart(time.Date(2026, 11, 22, 23, 0, 0, 0, time.UTC)); !got.Equal(time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("WeekStart(Sunday 22 Nov) = %v; want Monday 16 Nov", got)
	}
	if err := (WindowPolicy{CloseHour: 24}).Validate(); err == nil {
		t.Error("WindowPolicy{CloseHour: 24}.Validate() = nil; want an error")
	}
}

// The latest cycle open is next week's, but for a Sunday evening after the close hour, in the
// region's time zone, when the Monday outlets order for the week after next.
func TestLatestCycle(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	p := WindowPolicy{CloseHour: 18, Location: shanghai}
	for _, tt := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 12, 5, 12, 0, 0, 0, shanghai), "2026-12-07"},  // Saturday
		{time.Date(2026, 12, 6, 17, 59, 0, 0, shanghai), "2026-12-07"}, // Sunday, before the close
		{time.Date(2026, 12, 6, 18, 0, 0, 0, shanghai), "2026-12-14"},  // Sunday, at the close
		{time.Date(2026, 12, 6, 9, 59, 0, 0, time.UTC), "2026-12-07"},  // Sunday 17:59 in Shanghai
		{time.Date(2026, 12, 6, 10, 30, 0, 0, time.UTC), "2026-12-14"}, // Sunday 18:30 in Shanghai
		{time.Date(2026, 12, 6, 17, 0, 0, 0, time.UTC), "2026-12-14"},  // Monday 01:00 in Shanghai
		{time.Date(2026, 12, 7, 12, 0, 0, 0, shanghai), "2026-12-14"},  // Monday
		{time.Date(2026, 12, 9, 12, 0, 0, 0, shanghai), "2026-12-14"},  // Wednesday
	} {
		if got := p.LatestCycle(tt.at).Format(time.DateOnly); got != tt.want {
			t.Errorf("LatestCycle(%v) = %s; want %s", tt.at, got, tt.want)
		}
	}
}
