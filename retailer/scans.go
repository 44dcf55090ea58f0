package retailer

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// ErrForbidden: the caller may see the object but its role may not do what it asked (upload scans for
// an outlet it does not own, list outlets without looking after any). Objects the caller may not see
// give ErrNotFound instead.
var ErrForbidden = errors.New("retailer: forbidden")

// Forbidden returns ErrForbidden with why, a sentence for the user.
func Forbidden(why string) error { return &forbidden{why: why} }

type forbidden struct{ why string }

func (e *forbidden) Error() string  { return ErrForbidden.Error() + ": " + e.why }
func (e *forbidden) Unwrap() error  { return ErrForbidden }
func (e *forbidden) Detail() string { return e.why }

// Limits and thresholds of scan uploads. They are part of the API's contract: a retailer (or its
// account manager) can check every rejection against them by hand.
const (
	// MaxScanRows is the most rows one upload may carry.
	MaxScanRows = 10_000

	// MaxScanPacks is the largest quantity one row may carry, in packs (10,000 cartons): a terminal
	// that sends more is broken, and such a number would make every stock count look plausible.
	MaxScanPacks = 100_000

	// FutureTolerance is how far a row's time may run ahead of the moment its upload arrives before it
	// is rejected as future_time: terminal clocks drift by minutes, not by hours.
	FutureTolerance = 15 * time.Minute

	// SellOutWindowWeeks is the window of recent sell-out the stock-to-sales check uses: the outlet's
	// sell-out of the brand over the SellOutWindowWeeks × 7 UTC days up to the upload, stored and in the
	// upload itself, divided by SellOutWindowWeeks, is its weekly sell-out.
	SellOutWindowWeeks = 8

	// MaxCoverWeeks is how many weeks of the outlet's weekly sell-out a stock count may hold: 52 weeks
	// of cover is a year of sales on the shelf, which no outlet keeps of one brand.
	MaxCoverWeeks = 52

	// StockFloorPacks is a stock count that is never too high, whatever the sales: it covers brands the
	// outlet has not sold (or not scanned) in the window, new products and slow sellers. 1,000 packs is
	// 100 cartons.
	StockFloorPacks = 1000
)

// RejectReasons lists every reason ValidateScans gives, in a fixed order.
var RejectReasons = []RejectReason{RejectUnknownBrand, RejectNegativeStock, RejectNegativeQuantity, RejectFutureTime,
	RejectDuplicate, RejectStockToSales}

// MayUploadScans reports whether p's role may upload scans for an outlet p can see: a retailer for its
// own outlet (the only one it sees), an administrator for any (re-sending a terminal's file on its
// behalf). Account managers and planners read outlets but do not speak for their terminals: scans are
// the outlet's own record of its sales and stock.
func (p Principal) MayUploadScans() bool {
	return p.Role == RoleRetailer || p.Role == RoleAdmin
}

// SellOutWindowStart returns the first moment of the sell-out window for an upload arriving at now:
// UTC midnight SellOutWindowWeeks × 7 days before now's UTC date. Stored scans are aggregated by UTC
// day, so the window starts on a day boundary.
func SellOutWindowStart(now time.Time) time.Time {
	d := now.UTC().AddDate(0, 0, -7*SellOutWindowWeeks)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}

// StockCap returns the largest stock count accepted for a brand of which the outlet sold
// windowSellOut packs in the sell-out window: MaxCoverWeeks of its weekly sell-out
// (windowSellOut / SellOutWindowWeeks), but never less than StockFloorPacks.
func StockCap(windowSellOut float64) float64 {
	return math.Max(MaxCoverWeeks*windowSellOut/SellOutWindowWeeks, StockFloorPacks)
}

// scanKey is what makes two rows of a batch duplicates: brand and kind (by the number of the pair among
// the batch's) and time to the second (the precision the history store keeps). A key of fixed size
// hashes faster than one with the brand's and the kind's bytes.
type scanKey struct {
	brandKind int32
	at        int64
}

type brandKind struct {
	brand string
	kind  ScanKind
}

// ValidateScans checks the rows of one upload for outlet arriving at now and returns the rejected
// rows, in row order, each with one reason and its explanation; every other row is accepted.
//
// brandKnown reports whether the catalogue holds a brand. recentSellOut gives, per brand, the packs of
// sell-out the history store holds for the outlet from SellOutWindowStart(now) up to now, leaving out
// this upload's own rows (nil: none). ValidateScans is deterministic and never calls brandKnown with
// anything but a row's brand.
//
// A row is rejected for the first of these that holds, in this order:
//
//   - unknown_brand: brandKnown(row.Brand) is false (an empty brand included).
//   - negative_stock: a stock count below zero.
//   - negative_quantity: a sell-out below zero (returns are not scans).
//   - future_time: row.At is more than FutureTolerance after now.
//   - duplicate: an earlier row of the batch has the same brand, kind and time to the second,
//     whatever became of that earlier row: the first of a set of duplicates is the one that counts.
//   - stock_to_sales: a stock count above StockCap(s), where s is the brand's recentSellOut plus the
//     sell-out rows of this upload that are accepted and dated from SellOutWindowStart(now) to now.
//
// Rows must have a known Kind (SellOut or StockCount); checking the shape of a request (kinds, times,
// sizes) is the caller's part, before it calls ValidateScans.
func ValidateScans(rows []Scan, now time.Time, brandKnown func(brand string) bool, recentSellOut map[string]float64) []ScanReject {
	reasons := make([]RejectReason, len(rows))
	seen := make(map[scanKey]struct{}, len(rows))
	pairs := map[brandKind]int32{}
	latest := now.Add(FutureTolerance)
	for i, row := range rows {
		bk, ok := pairs[brandKind{row.Brand, row.Kind}]
		if !ok {
			bk = int32(len(pairs))
			pairs[brandKind{row.Brand, row.Kind}] = bk
		}
		key := scanKey{bk, row.At.Unix()}
		_, dup := seen[key]
		seen[key] = struct{}{}
		switch {
		case !brandKnown(row.Brand):
			reasons[i] = RejectUnknownBrand
		case row.Kind == StockCount && row.Qty < 0:
			reasons[i] = RejectNegativeStock
		case row.Qty < 0:
			reasons[i] = RejectNegativeQuantity
		case row.At.After(latest):
			reasons[i] = RejectFutureTime
		case dup:
			reasons[i] = RejectDuplicate
		}
	}

	// Sell-out over the window: the store's, plus this upload's accepted rows.
	windowStart := SellOutWindowStart(now)
	sellOut := make(map[string]float64, len(recentSellOut))
	for brand, qty := range recentSellOut {
		sellOut[brand] = qty
	}
	for i, row := range rows {
		if reasons[i] == "" && row.Kind == SellOut && !row.At.Before(windowStart) && !row.At.After(now) {
			sellOut[row.Brand] += row.Qty
		}
	}
	var rejects []ScanReject
	for i, row := range rows {
		if reasons[i] == "" && row.Kind == StockCount && row.Qty > StockCap(sellOut[row.Brand]) {
			reasons[i] = RejectStockToSales
		}
		if reasons[i] != "" {
			rejects = append(rejects, ScanReject{Row: i + 1, Reason: reasons[i], Detail: reasons[i].Explain(row)})
		}
	}
	return rejects
}

// Explain says why row was rejected for r, in words a retailer can act on. It depends on r and row
// only (not on the history the check used), so that a stored rejection explains itself the same way
// when it is read back.
func (r RejectReason) Explain(row Scan) string {
	switch r {
	case RejectUnknownBrand:
		if row.Brand == "" {
			return "the row names no brand"
		}
		return fmt.Sprintf("brand %q is not in the catalogue", row.Brand)
	case RejectNegativeStock:
		return fmt.Sprintf("a stock count of %s packs of %s is below zero", packs(row.Qty), row.Brand)
	case RejectNegativeQuantity:
		return fmt.Sprintf("a sell-out of %s packs of %s is below zero", packs(row.Qty), row.Brand)
	case RejectFutureTime:
		return fmt.Sprintf("scanned at %s, more than %d minutes after the upload arrived: check the terminal's clock",
			row.At.UTC().Truncate(time.Second).Format(time.RFC3339), FutureTolerance/time.Minute)
	case RejectDuplicate:
		return fmt.Sprintf("an earlier row of the upload has the same brand (%s), kind (%s) and time", row.Brand, row.Kind)
	case RejectStockToSales:
		return fmt.Sprintf("a stock count of %s packs of %s is more than %d weeks of the outlet's sell-out of it "+
			"(its sell-out over the last %d weeks ÷ %d) and more than %d packs",
			packs(row.Qty), row.Brand, MaxCoverWeeks, SellOutWindowWeeks, SellOutWindowWeeks, StockFloorPacks)
	}
	return string(r)
}

// packs formats a quantity of packs without an exponent: 1000000, 12.5.
func packs(q float64) string { return strconv.FormatFloat(q, 'f', -1, 64) }

// SellOutNeeded reports whether ValidateScans needs the recent sell-out to check rows: only a stock
// count above StockFloorPacks can exceed StockCap, whatever the sell-out.
func SellOutNeeded(rows []Scan) bool {
	for i := range rows {
		if rows[i].Kind == StockCount && rows[i].Qty > StockFloorPacks {
			return true
		}
	}
	return false
}

// ScanOutcome is the answer to an upload: how many of its rows were accepted and which were rejected.
// A replay of the upload (the same batch id for the same outlet) gets the same outcome.
type ScanOutcome struct {
	BatchID  string
	Accepted int
	Rejects  []ScanReject // in row order, each with its Detail
	Replay   bool         // the upload was stored before: nothing was written this time
}
