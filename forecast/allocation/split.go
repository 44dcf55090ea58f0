package allocation

import (
	"math"
	"math/bits"
	"slices"
	"strings"
)

// split is one bounded proportional division of whole cartons: item i is due the quota
// q(i) = min(hi[i], max(lo[i], λ × w[i])), with λ such that the quotas add up to the supply, and gets
// ⌊q(i)⌋ or ⌈q(i)⌉ cartons by the largest remainder. Items of weight 0 get lo[i].
//
// λ is found exactly, as a fraction n/d of integers, so that quotas, their fractions and their ties
// are exact and do not depend on the order of the items.
type split struct {
	supply    int64
	items     []int32
	w, lo, hi []int64 // indexed by item
	even      bool    // every weight counts as 1
	tie       func(i int32) uint64
	name      func(i int32) string
	x         []int64   // out: cartons, indexed by item
	q         []float64 // out: quotas
	why       []Reason  // out, may be nil: atUpper, CoverageFloor, RoundedUp
	buf       *[]ranked // scratch
}

func (s *split) weight(i int32) int64 {
	if s.even {
		return 1
	}
	return s.w[i]
}

func (s *split) set(i int32, x int64, q float64, why Reason) {
	s.x[i], s.q[i] = x, q
	if s.why != nil {
		s.why[i] = s.why[i]&^(atUpper|CoverageFloor|RoundedUp) | why
	}
}

// floorWhy is the reason of an item held at its floor lo.
func floorWhy(lo int64) Reason {
	if lo > 0 {
		return CoverageFloor
	}
	return 0
}

// run divides the supply and returns λ: +Inf when every item is held at its ceiling (the supply
// covers them all), 0 when every item is held at its floor.
func (s *split) run() float64 {
	var capacity, floors int64
	for _, i := range s.items {
		floors += s.lo[i]
		if s.weight(i) > 0 {
			capacity += s.hi[i]
		} else {
			capacity += s.lo[i]
		}
	}
	if s.supply >= capacity {
		var idle []int32 // weightless items with room
		var idleFloors int64
		for _, i := range s.items {
			if s.weight(i) > 0 {
				s.set(i, s.hi[i], float64(s.hi[i]), atUpper)
				continue
			}
			s.set(i, s.lo[i], float64(s.lo[i]), floorWhy(s.lo[i]))
			if s.hi[i] > s.lo[i] {
				idle, idleFloors = append(idle, i), idleFloors+s.lo[i]
			}
		}
		if rest := s.supply - capacity; rest > 0 && len(idle) > 0 {
			// Only weightless items have room left: they share the rest evenly.
			sub := *s
			sub.supply, sub.items, sub.even = rest+idleFloors, idle, true
			sub.run()
		}
		return math.Inf(1)
	}
	if s.supply <= floors {
		for _, i := range s.items {
			s.set(i, s.lo[i], float64(s.lo[i]), floorWhy(s.lo[i]))
		}
		return 0
	}
	n, d, lam := s.level()
	s.round(n, d, lam)
	if d > 0 {
		return float64(n) / float64(d)
	}
	return lam
}

// piece classifies the items at λ = lam in floating point and returns the exact λ of that linear
// piece of Σ q(i) as n/d: n is the supply less the clamped quotas, d the sum of the free weights.
func (s *split) piece(lam float64) (n, d int64) {
	fixed := int64(0)
	for _, i := range s.items {
		w := s.weight(i)
		if w == 0 {
			fixed += s.lo[i]
			continue
		}
		switch v := lam * float64(w); {
		case v <= float64(s.lo[i]):
			fixed += s.lo[i]
		case v >= float64(s.hi[i]):
			fixed += s.hi[i]
		default:
			d += w
		}
	}
	return s.supply - fixed, d
}

// exactPiece is piece at the exact λ = n/d (n ≥ 0, d > 0).
func (s *split) exactPiece(n, d int64) (int64, int64) {
	fixed, free := int64(0), int64(0)
	for _, i := range s.items {
		w := s.weight(i)
		switch {
		case w == 0 || cmpProducts(n, w, s.lo[i], d) <= 0:
			fixed += s.lo[i]
		case cmpProducts(n, w, s.hi[i], d) >= 0:
			fixed += s.hi[i]
		default:
			free += w
		}
	}
	return s.supply - fixed, free
}

// level finds λ with Σ q(i) = supply: Newton steps on the piecewise linear sum, kept inside a
// bracket, in floating point; then the same steps in exact arithmetic until the partition into
// items held at a bound and free items agrees with λ = n/d. It returns d = 0 only when the sum is
// flat at the supply around lam (every item held at a bound).
func (s *split) level() (n, d int64, lam float64) {
	var total int64
	for _, i := range s.items {
		total += s.weight(i)
	}
	lam = float64(s.supply) / float64(total)
	lo, hi := 0.0, math.Inf(1)
	pn, pd := int64(-1), int64(-1)
	for range 200 {
		n, d = s.piece(lam)
		if n == pn && d == pd {
			break
		}
		pn, pd = n, d
		if sum := float64(s.supply-n) + lam*float64(d); sum < float64(s.supply) {
			lo = lam
		} else {
			hi = lam
		}
		next := math.NaN()
		if d > 0 && n >= 0 {
			next = float64(n) / float64(d)
		}
		switch {
		case next > lo && next < hi:
			lam = next
		case math.IsInf(hi, 1):
			lam *= 2
		default:
			lam = lo + (hi-lo)/2
		}
	}
	for range 200 {
		if d <= 0 || n < 0 {
			break
		}
		n2, d2 := s.exactPiece(n, d)
		if d2 == 0 || cmpProducts(n2, d, n, d2) == 0 {
			if d2 > 0 {
				n, d = n2, d2
			}
			break
		}
		n, d = n2, d2
	}
	return n, d, lam
}

// round gives every item the whole part of its quota at λ = n/d (or, when d = 0, its bound at
// lam) and the cartons left to the largest fractional parts.
func (s *split) round(n, d int64, lam float64) {
	cands := slices.Grow((*s.buf)[:0], len(s.items))
	sum := int64(0)
	for _, i := range s.items {
		w, lo, hi := s.weight(i), s.lo[i], s.hi[i]
		switch {
		case w == 0:
			s.set(i, lo, float64(lo), floorWhy(lo))
		case d <= 0 || n < 0:
			if lam*float64(w) <= float64(lo) {
				s.set(i, lo, float64(lo), floorWhy(lo))
			} else {
				s.set(i, hi, float64(hi), atUpper)
			}
		default:
			ph, pl := bits.Mul64(uint64(n), uint64(w))
			if ph >= uint64(d) { // quotient beyond 64 bits: far above any ceiling
				s.set(i, hi, float64(hi), atUpper)
				break
			}
			quo, rem := bits.Div64(ph, pl, uint64(d))
			switch {
			case quo < uint64(lo):
				s.set(i, lo, float64(lo), floorWhy(lo))
			case quo >= uint64(hi):
				s.set(i, hi, float64(hi), atUpper)
			default:
				s.set(i, int64(quo), float64(n)*float64(w)/float64(d), 0)
				if rem > 0 {
					cands = append(cands, ranked{key: rem, tie: s.tie(i), i: i})
				}
			}
		}
		sum += s.x[i]
	}
	*s.buf = cands
	left := s.supply - sum
	if left > 0 && left <= int64(len(cands)) {
		top(cands, int(left), s.name)
		for _, c := range cands[:left] {
			s.x[c.i]++
			if s.why != nil {
				s.why[c.i] |= RoundedUp
			}
		}
		return
	}
	if left != 0 {
		s.force(left)
	}
}

// force adds (left > 0) or takes back (left < 0) single cartons, within the bounds, in order of the
// tie key and name, until the cartons add up to the supply or no item has room. Exact λ makes it
// unreachable; it is the guarantee that the sum is right whatever the arithmetic did.
func (s *split) force(left int64) {
	order := slices.Clone(s.items)
	slices.SortFunc(order, func(a, b int32) int {
		if ta, tb := s.tie(a), s.tie(b); ta != tb {
			if ta > tb {
				return -1
			}
			return 1
		}
		return strings.Compare(s.name(a), s.name(b))
	})
	for moved := true; left != 0 && moved; {
		moved = false
		for _, i := range order {
			switch {
			case left > 0 && s.x[i] < s.hi[i]:
				s.x[i]++
				left--
			case left < 0 && s.x[i] > s.lo[i]:
				s.x[i]--
				left++
			default:
				continue
			}
			moved = true
			if left == 0 {
				break
			}
		}
	}
}

// cmpProducts compares a×b with c×e for non-negative a, b, c, e, in 128 bits.
func cmpProducts(a, b, c, e int64) int {
	h1, l1 := bits.Mul64(uint64(a), uint64(b))
	h2, l2 := bits.Mul64(uint64(c), uint64(e))
	switch {
	case h1 != h2:
		if h1 < h2 {
			return -1
		}
		return 1
	case l1 != l2:
		if l1 < l2 {
			return -1
		}
		return 1
	}
	return 0
}
