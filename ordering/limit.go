package ordering

// NotInAllocation is the explanation of the limit of an outlet the brand's published allocation
// does not list: one added, or reopened, after it was published. Its limit is 0 until the planner
// publishes an allocation with it: the allocation's limits already share the whole supply.
const NotInAllocation = "not in the cycle's allocation, published before the outlet was listed: no allocation"

// Allowance is what bounds an outlet's grants of one brand in a cycle, as the store keeps it.
type Allowance struct {
	Limit *int // the outlet's limit (限量) of the brand in the cycle; nil when it has none
	Used  int  // what the outlet's live orders hold of the limit; 0 without a limit
	Cap   *int // the supply plan's per-outlet cap of the brand; nil for none
	// Supply is what is left of the brand's published supply in the cycle: supply less what every
	// live order of the cycle was granted of it; nil when the brand is not rationed.
	Supply *int
}

// Remaining is how many cartons of the brand an order of the outlet may be granted, when that order
// already holds own cartons of it (0 for a new order, or to ask what remains beyond the current
// order): the limit less what the outlet's other live orders hold (Used − own), never above the
// per-outlet cap, nor above what is left of the brand's supply (Supply + own). It is nil when
// nothing bounds the outlet.
func (a Allowance) Remaining(own int) *int {
	r, _ := a.Bound(own)
	return r
}

// Bound is Remaining with the reason a grant cut to it gives: ByLimit when the outlet's limit or the
// per-outlet cap binds, BySupply when what is left of the brand's supply binds (the outlet's own
// bounds win a tie); "" when nothing bounds the outlet.
func (a Allowance) Bound(own int) (*int, LimitReason) {
	var r *int
	if a.Limit != nil {
		r = new(*a.Limit - a.Used + own)
	}
	if a.Cap != nil && (r == nil || *a.Cap < *r) {
		r = new(*a.Cap)
	}
	if r != nil && (a.Supply == nil || *r <= *a.Supply+own) {
		return r, ByLimit
	}
	if a.Supply != nil {
		return new(*a.Supply + own), BySupply
	}
	return nil, ""
}

// LimitMoves is how the used part of an outlet's limits changes when lines replace an order whose
// lines held held (granted cartons by brand id; nil for a new order): the change in cartons by brand
// id, brands that do not change left out. Cancelling an order (lines nil) gives back all it held.
func LimitMoves(held map[int64]int, lines []Line) map[int64]int {
	moves := map[int64]int{}
	for brand, g := range held {
		moves[brand] -= g
	}
	for _, l := range lines {
		moves[l.BrandID] += l.Granted
	}
	for brand, d := range moves {
		if d == 0 {
			delete(moves, brand)
		}
	}
	return moves
}
