package allocation

import (
	"slices"
	"strings"
)

// ranked is a candidate for one of a few cartons: the larger key goes first, then the larger tie,
// then the smaller name. Names are unique, so the order is total and the chosen set never depends
// on the order of the input.
type ranked struct {
	key, tie uint64
	i        int32 // index of the outlet or group
}

// tieKey orders outlets of equal fraction or forecast: the higher grade, then the higher forecast.
func tieKey(grade int, demandMilli int64) uint64 { return uint64(grade)<<40 | uint64(demandMilli) }

// before compares candidates by key and tie only: negative when a goes first.
func before(a, b *ranked) int {
	switch {
	case a.key != b.key:
		if a.key > b.key {
			return -1
		}
		return 1
	case a.tie != b.tie:
		if a.tie > b.tie {
			return -1
		}
		return 1
	}
	return 0
}

// top reorders s so that s[:k] holds its k best candidates (in no particular order); name gives a
// candidate's unique name. It is a quickselect on (key, tie) with a three-way partition and a
// deterministic pivot, O(len(s)) on average; names are compared only within the block of equal
// (key, tie) that straddles the k-th place.
func top(s []ranked, k int, name func(int32) string) {
	if k <= 0 || k >= len(s) {
		return
	}
	lo, hi := 0, len(s) // lo < k < hi: the k-th place lies in s[lo:hi]
	for {
		m := lo + (hi-lo)/2
		// Median of three as pivot.
		a, b, c := &s[lo], &s[m], &s[hi-1]
		p := *b
		switch {
		case before(a, b) <= 0 && before(b, c) <= 0, before(c, b) <= 0 && before(b, a) <= 0:
		case before(b, a) <= 0 && before(a, c) <= 0, before(c, a) <= 0 && before(a, b) <= 0:
			p = *a
		default:
			p = *c
		}
		// s[lo:lt] before p, s[lt:gt] equal to p, s[gt:hi] after p.
		lt, j, gt := lo, lo, hi
		for j < gt {
			switch before(&s[j], &p) {
			case -1:
				s[lt], s[j] = s[j], s[lt]
				lt++
				j++
			case 1:
				gt--
				s[j], s[gt] = s[gt], s[j]
			default:
				j++
			}
		}
		switch {
		case k == lt || k == gt:
			return
		case k < lt:
			hi = lt
		case k > gt:
			lo = gt
		default: // the k-th place is among equals: order them by name
			eq := s[lt:gt]
			slices.SortFunc(eq, func(a, b ranked) int { return strings.Compare(name(a.i), name(b.i)) })
			return
		}
	}
}
