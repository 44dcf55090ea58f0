package stores

import (
	"testing"
	"time"
)

func TestStaleness(t *testing.T) {
	t0 := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	samples := []walSample{{t0, 100}, {t0.Add(time.Second), 200}, {t0.Add(2 * time.Second), 200}, {t0.Add(3 * time.Second), 300}}
	now := t0.Add(3500 * time.Millisecond)
	lsn := func(n int64) *int64 { return &n }
	ago := func(d time.Duration) *time.Duration { return &d }
	tests := []struct {
		name        string
		replayed    *int64
		sinceReplay *time.Duration
		lag         time.Duration
		known       bool
	}{
		{"caught up", lsn(300), nil, 500 * time.Millisecond, true},
		{"caught up, its last commit long ago", lsn(300), ago(time.Hour), 500 * time.Millisecond, true},
		{"ahead of the newest sample", lsn(350), nil, 500 * time.Millisecond, true},
		{"between samples: the newest one replayed counts", lsn(250), nil, 1500 * time.Millisecond, true},
		{"between samples, a commit replayed since", lsn(250), ago(20 * time.Millisecond), 20 * time.Millisecond, true},
		{"at the first sample", lsn(100), nil, 3500 * time.Millisecond, true},
		{"behind every sample: at least since the oldest", lsn(50), nil, 3500 * time.Millisecond, false},
		{"behind every sample, its last commit known", lsn(50), ago(time.Minute), time.Minute, true},
		{"clocks apart: never below zero", lsn(250), ago(-time.Second), 0, true},
		{"not a standby", nil, nil, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lag, known := staleness(samples, tt.replayed, tt.sinceReplay, now)
			if lag != tt.lag || known != tt.known {
				t.Errorf("staleness(%v, %v) = %v, %v; want %v, %v", tt.replayed, tt.sinceReplay, lag, known, tt.lag, tt.known)
			}
		})
	}
}

func TestPruneSamples(t *testing.T) {
	t0 := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	samples := []walSample{{t0, 1}, {t0.Add(time.Second), 2}, {t0.Add(2 * time.Second), 3}}
	if got := pruneSamples(append([]walSample{}, samples...), t0.Add(1500*time.Millisecond)); len(got) != 1 || got[0].lsn != 3 {
		t.Errorf("pruneSamples(before 1.5s) = %v; want the last sample", got)
	}
	if got := pruneSamples(append([]walSample{}, samples...), t0.Add(time.Hour)); len(got) != 1 || got[0].lsn != 3 {
		t.Errorf("pruneSamples(all old) = %v; want the newest kept", got)
	}
	if got := pruneSamples(append([]walSample{}, samples...), t0); len(got) != 3 {
		t.Errorf("pruneSamples(none old) = %v; want all three", got)
	}
}
