package allocation

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// top must choose exactly the k first of the full order (key, tie descending, name ascending).
func TestTop(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for it := range 2000 {
		n := rng.IntN(60)
		names := make([]string, n)
		s := make([]ranked, n)
		for i := range s {
			names[i] = strconv.Itoa(rng.IntN(1000)) + "-" + strconv.Itoa(i)
			s[i] = ranked{key: uint64(rng.IntN(4)), tie: uint64(rng.IntN(3)), i: int32(i)}
		}
		name := func(i int32) string { return names[i] }
		full := slices.Clone(s)
		slices.SortFunc(full, func(a, b ranked) int {
			if c := before(&a, &b); c != 0 {
				return c
			}
			return strings.Compare(name(a.i), name(b.i))
		})
		k := rng.IntN(n + 1)
		top(s, k, name)
		got := make([]int32, 0, k)
		want := make([]int32, 0, k)
		for j := range k {
			got = append(got, s[j].i)
			want = append(want, full[j].i)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("#%d top(%d of %d) = %v; want %v", it, k, n, got, want)
		}
	}
}

func TestLargest(t *testing.T) {
	r := &Result{Limits: []Limit{{Outlet: "a", Cartons: 1}, {Outlet: "b", Cartons: 3}, {Outlet: "c", Cartons: 1}, {Outlet: "d", Cartons: 2}}}
	if got := r.Largest(3); len(got) != 3 || got[0] != 1 || got[1] != 3 || got[2] != 0 {
		t.Errorf("Largest(3) = %v; want [1 3 0]: the largest first, ties in input order", got)
	}
	if got := r.Largest(10); len(got) != 4 {
		t.Errorf("Largest(10) of 4 limits = %v; want all 4", got)
	}
	if got := r.Largest(-1); len(got) != 0 {
		t.Errorf("Largest(-1) = %v; want none", got)
	}
}

// Largest picks the same outlets in the same order as sorting every limit would, for any n.
func TestLargestPicksAsTheSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for trial := range 200 {
		r := &Result{Limits: make([]Limit, rng.IntN(400))}
		for i := range r.Limits {
			r.Limits[i].Cartons = rng.IntN(1 + trial%9)
		}
		all := make([]int, len(r.Limits))
		for i := range all {
			all[i] = i
		}
		slices.SortStableFunc(all, func(a, b int) int { return cmp.Compare(r.Limits[b].Cartons, r.Limits[a].Cartons) })
		for _, n := range []int{0, 1, 2, 5, 20, 49, len(all) / 8, len(all) - 1, len(all), len(all) + 3} {
			want := all[:min(max(n, 0), len(all))]
			if got := r.Largest(n); !slices.Equal(got, want) {
				t.Fatalf("trial %d: Largest(%d) of %d limits = %v; want %v", trial, n, len(all), got, want)
			}
		}
	}
}
