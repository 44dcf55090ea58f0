package synth

import (
	"testing"
	"time"
)

func TestSynthFestivalTable(t *testing.T) {
	tests := []struct {
		name       string
		year       int
		spring     string // "" when not covered
		midAutumn  string
		wantCovers bool
	}{
		{"first year", 2015, "2015-02-19", "2015-09-27", true},
		{"mid-autumn on national day", 2020, "2020-01-25", "2020-10-01", true},
		{"late spring festival", 2026, "2026-02-17", "2026-09-25", true},
		{"leap eleventh month", 2033, "2033-01-31", "2033-09-08", true},
		{"last year", 2035, "2035-02-08", "2035-09-16", true},
		{"before the table", 2014, "", "", false},
		{"after the table", 2036, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sf, ok := SpringFestival(tt.year)
			if ok != tt.wantCovers {
				t.Fatalf("SpringFestival(%d) covered = %v; want %v", tt.year, ok, tt.wantCovers)
			}
			ma, ok2 := MidAutumn(tt.year)
			if ok2 != tt.wantCovers {
				t.Fatalf("MidAutumn(%d) covered = %v; want %v", tt.year, ok2, tt.wantCovers)
			}
			if !ok {
				return
			}
			if got := sf.Format(time.DateOnly); got != tt.spring {
				t.Errorf("SpringFestival(%d) = %s; want %s", tt.year, got, tt.spring)
			}
			if got := ma.Format(time.DateOnly); got != tt.midAutumn {
				t.Errorf("MidAutumn(%d) = %s; want %s", tt.year, got, tt.midAutumn)
			}
		})
	}
}

// The whole table stays within the windows the lunar calendar allows.
func TestSynthFestivalTableBounds(t *testing.T) {
	for y := FirstLunarYear; y <= LastLunarYear; y++ {
		sf, _ := SpringFestival(y)
		if sf.Before(date(y, 1, 21)) || sf.After(date(y, 2, 20)) {
			t.Errorf("SpringFestival(%d) = %s; want 21 January to 20 February", y, sf.Format(time.DateOnly))
		}
		ma, _ := MidAutumn(y)
		if ma.Before(date(y, 9, 7)) || ma.After(date(y, 10, 8)) {
			t.Errorf("MidAutumn(%d) = %s; want 7 September to 8 October", y, ma.Format(time.DateOnly))
		}
		// Consecutive festivals are 354, 355, 383, 384 or 385 days apart (12 or 13 lunar months).
		if y > FirstLunarYear {
			prev, _ := SpringFestival(y - 1)
			days := int(sf.Sub(prev).Hours() / 24)
			if days != 354 && days != 355 && (days < 383 || days > 385) {
				t.Errorf("Spring Festivals %d and %d are %d days apart; want 354–355 or 383–385", y-1, y, days)
			}
		}
	}
}

func TestSynthWeeksUntil(t *testing.T) {
	monday := date(2026, 2, 9)
	tests := []struct {
		name string
		day  time.Time
		want int
	}{
		{"the monday", monday, 0},
		{"the sunday", date(2026, 2, 15), 0},
		{"next monday", date(2026, 2, 16), 1},
		{"spring festival 2026", date(2026, 2, 17), 1},
		{"day before", date(2026, 2, 8), -1},
		{"a week before", date(2026, 2, 2), -1},
		{"eight days before", date(2026, 2, 1), -2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := weeksUntil(monday, tt.day); got != tt.want {
				t.Errorf("weeksUntil(%s, %s) = %d; want %d", monday.Format(time.DateOnly), tt.day.Format(time.DateOnly), got, tt.want)
			}
		})
	}
}

func TestSynthLiftFor(t *testing.T) {
	tests := []struct {
		name    string
		monday  time.Time
		want    func(l weekLift) bool
		wantErr bool
	}{
		{"week before spring festival 2026", date(2026, 2, 9), func(l weekLift) bool { return l.festival >= 1 }, false},
		{"week after spring festival 2026", date(2026, 2, 23), func(l weekLift) bool { return l.festival < 0 }, false},
		{"plain week in May", date(2026, 5, 11), func(l weekLift) bool { return l.festival == 0 }, false},
		{"week before mid-autumn 2026", date(2026, 9, 14), func(l weekLift) bool { return l.festival > 0 }, false},
		{"national day week 2026", date(2026, 9, 28), func(l weekLift) bool { return l.festival > 0 }, false},
		{"december before spring festival 2036", date(2035, 12, 31), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := liftFor(tt.monday)
			if (err != nil) != tt.wantErr {
				t.Fatalf("liftFor(%s) error = %v; want error %v", tt.monday.Format(time.DateOnly), err, tt.wantErr)
			}
			if err == nil && !tt.want(l) {
				t.Errorf("liftFor(%s) = %+v; not what the calendar says", tt.monday.Format(time.DateOnly), l)
			}
		})
	}
}
