package ordering

import (
	"errors"
	"fmt"
)

// PlaceOptions are how an order is placed.
type PlaceOptions struct {
	// AllOrNothing refuses the whole order (ErrLimitExceeded) when a line would be cut.
	AllOrNothing bool
	// IfVersion, when not 0, is the version of the outlet's live order the client last saw (HTTP
	// If-Match); the order is replaced only while it is still at that version, else *StaleError.
	// AnyVersion asks only that the order exists.
	IfVersion int
	// AllowCredit accepts an order above the balance available, with a warning, where it would
	// otherwise be refused with ErrInsufficientBalance.
	AllowCredit bool
	// Claim, when not nil, is the Idempotency-Key claim the order is placed under: the order's own
	// transaction records the order on the key, and fails with *InFlightError when a retry has taken
	// the key over.
	Claim *IdempotencyClaim
	// Key, when not nil (and Claim nil), is the Idempotency-Key the order is placed under, claimed in
	// the order's own transaction: the store takes the key there, and stores the response Respond
	// renders from the order before it commits, so that the order, its key and the response to replay
	// commit together or not at all. While another request with the key runs, it fails with
	// *InFlightError; when the key is already held (answered, or claimed by a request outside an
	// order's transaction), with ErrIdempotencyKeyHeld, having written nothing.
	Key *IdempotencyKey
	// Respond renders the response to an order placed under Key, created or replaced, from the order
	// as it will be committed. It is called at most once, before the commit; the caller answers with
	// what it returned. It must be set with Key.
	Respond func(o Order, created bool) (StoredResponse, error)
}

// AnyVersion as PlaceOptions.IfVersion (If-Match: *) matches any version of an existing order.
const AnyVersion = -1

// ErrVersionMismatch: the order is not at the version the request was made against (another device
// changed it, or it does not exist); a *StaleError says which version it is at.
var ErrVersionMismatch = errors.New("ordering: order version mismatch")

// StaleError is a request made against a version of an order that is no longer current; it matches
// ErrVersionMismatch.
type StaleError struct {
	Current int // the order's version now; 0 when the outlet has no live order
}

func (e *StaleError) Error() string        { return "ordering: " + e.Detail() }
func (e *StaleError) Is(target error) bool { return target == ErrVersionMismatch }

// Detail says what the order's version is now, for the user.
func (e *StaleError) Detail() string {
	if e.Current == 0 {
		return "the outlet has no live order in the open cycle to replace"
	}
	return fmt.Sprintf("the order changed: it is at version %d; read it again and apply the change to it", e.Current)
}

// MatchVersion checks a request made against version want (0: none asked, AnyVersion: any) of an
// order now at version current (0 when there is none): nil, or a *StaleError.
func MatchVersion(want, current int) error {
	switch {
	case want == 0:
		return nil
	case current == 0 || (want != AnyVersion && want != current):
		return &StaleError{Current: current}
	}
	return nil
}

// ErrSupplyVersionMismatch: a supply plan made against a version of the cycle's supply (If-Match)
// found it at another: it was published since the client read it. A *SupplyStaleError says which.
var ErrSupplyVersionMismatch = errors.New("ordering: supply version mismatch")

// SupplyStaleError is a supply plan made against a version of the cycle's supply that is no longer
// current; it matches ErrSupplyVersionMismatch.
type SupplyStaleError struct {
	Current int // the cycle's supply version now
}

func (e *SupplyStaleError) Error() string        { return "ordering: " + e.Detail() }
func (e *SupplyStaleError) Is(target error) bool { return target == ErrSupplyVersionMismatch }

// Detail says what the supply's version is now, for the user.
func (e *SupplyStaleError) Detail() string {
	return fmt.Sprintf("the cycle's supply was published since: it is at version %d; read it again and apply the change to it", e.Current)
}

// ErrInsufficientBalance: the order's total is above the outlet's balance less its other orders
// still to be paid, and the distributor gives no credit.
var ErrInsufficientBalance = errors.New("ordering: insufficient balance")

// Funds is an outlet's money as an order sees it: its balance, what its submitted orders (to be
// deducted at their cut-off) add up to, this one included, and a warning when an order above the
// balance was accepted on credit.
type Funds struct {
	BalanceCents int64
	OrderedCents int64
	Warning      string
}

// ShortfallCents is what the orders lack of the balance: 0 when the balance covers them.
func (f Funds) ShortfallCents() int64 { return max(0, f.OrderedCents-f.BalanceCents) }

// CheckFunds decides an order of total cents of an outlet with balance cents whose other submitted
// orders add up to others: the funds after it, or ErrInsufficientBalance (explained with the amounts)
// when the order is above the balance left and allowCredit is false; with allowCredit such an order
// is accepted with a warning.
func CheckFunds(total, balance, others int64, allowCredit bool) (Funds, error) {
	f := Funds{BalanceCents: balance, OrderedCents: others + total}
	left := balance - others
	if total <= left {
		return f, nil
	}
	if !allowCredit {
		return f, Explain(ErrInsufficientBalance, "the order is %s, the balance %s", Money(total), Money(max(left, 0)))
	}
	f.Warning = fmt.Sprintf("the order is %s, the balance %s: it fails at cut-off unless %s is paid in before",
		Money(total), Money(max(left, 0)), Money(f.ShortfallCents()))
	return f, nil
}
