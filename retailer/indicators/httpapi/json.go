package httpapi

import (
	"time"

	"github.com/ordercast/ordercast/retailer/indicators"
)

type periodJSON struct {
	Kind  string `json:"kind"`
	Start string `json:"start"`
	End   string `json:"end"` // exclusive
}

func periodOf(p indicators.Period) periodJSON {
	return periodJSON{Kind: string(p.Kind), Start: p.Start.Format(time.DateOnly), End: p.End.Format(time.DateOnly)}
}

// ValueJSON is one figure: value null with no_data saying why, or the value with its numerator and
// denominator; target and gap (value − target) when a target applies; for managers the previous
// period's value, the change and the rank among peers.
type ValueJSON struct {
	Indicator   string     `json:"indicator"`
	Unit        string     `json:"unit"`
	Period      periodJSON `json:"period"`
	Value       *float64   `json:"value"`
	NoData      *string    `json:"no_data"`
	Numerator   float64    `json:"numerator"`
	Denominator float64    `json:"denominator"`
	Target      *float64   `json:"target"`
	Gap         *float64   `json:"gap"`
	Met         *bool      `json:"met"`
	Previous    *float64   `json:"previous"`
	Change      *float64   `json:"change"`
	Rank        *int       `json:"rank"`
	Peers       *int       `json:"peers"`
	// Note says how the figure departs from its cadence (the bulletin's forecast accuracy is the
	// latest scored month's, named by period); absent otherwise.
	Note string `json:"note,omitempty"`
	// NoDataCode, NoteCode and NoteParams say no_data and note as codes, for a page in another
	// language (indicators.Value).
	NoDataCode string            `json:"no_data_code,omitempty"`
	NoteCode   string            `json:"note_code,omitempty"`
	NoteParams map[string]string `json:"note_params,omitempty"`
	// Basis is what the figure is measured against where that is a choice: forecast accuracy's
	// "requested" (indicators.AccuracyBasis); absent otherwise.
	Basis string `json:"basis,omitempty"`
}

// rowJSON is one row of a report.
type rowJSON struct {
	Level   string      `json:"level"`
	Key     string      `json:"key"`
	Name    string      `json:"name"`
	Manager string      `json:"manager"`
	Area    string      `json:"area"`
	Outlets int         `json:"outlets"`
	Values  []ValueJSON `json:"values"`
}

func rowOf(r indicators.Row) rowJSON {
	out := rowJSON{Level: string(r.Level), Key: r.Key, Name: r.Name, Manager: r.Manager, Area: r.Area, Outlets: r.Outlets,
		Values: []ValueJSON{}}
	for _, v := range r.Values {
		spec, _ := indicators.SpecOf(v.Indicator)
		j := ValueJSON{Indicator: string(v.Indicator), Unit: spec.Unit, Period: periodOf(v.Period), Value: v.Value,
			Numerator: v.Num, Denominator: v.Den, Target: v.Target, Gap: v.Gap, Met: v.Met, Previous: v.Previous, Change: v.Change, Note: v.Note,
			NoteCode: v.NoteCode, NoteParams: v.NoteParams, Basis: spec.Basis}
		if v.Value == nil {
			reason := v.NoData
			j.NoData, j.NoDataCode = &reason, v.NoDataCode
		}
		if v.Rank > 0 {
			rank, peers := v.Rank, v.Peers
			j.Rank, j.Peers = &rank, &peers
		}
		out.Values = append(out.Values, j)
	}
	return out
}

type stockJSON struct {
	Brand       string   `json:"brand"`
	Stock       float64  `json:"stock_cartons"`
	WeeklySales float64  `json:"weekly_sales_cartons"`
	Ratio       *float64 `json:"ratio_weeks"`
	LowerWeeks  *float64 `json:"lower_weeks"`
	UpperWeeks  *float64 `json:"upper_weeks"`
	Warning     string   `json:"warning"`
}

func stockOf(b indicators.BrandStock) stockJSON {
	return stockJSON{Brand: b.Brand, Stock: b.Stock, WeeklySales: b.WeeklySales, Ratio: b.Ratio, LowerWeeks: b.LowerWeeks,
		UpperWeeks: b.UpperWeeks, Warning: b.Warning}
}

type reportJSON struct {
	Period  periodJSON  `json:"period"`
	Level   string      `json:"level"`
	Rows    []rowJSON   `json:"rows"`
	Company rowJSON     `json:"company"`
	Stock   []stockJSON `json:"stock"`
}

type listJSON struct {
	Total      int              `json:"total"`
	Offset     int              `json:"offset"`
	NextOffset *int             `json:"next_offset,omitempty"`
	Items      []map[string]any `json:"items"`
}

type bulletinJSON struct {
	Date       string               `json:"date"`
	ComputedAt time.Time            `json:"computed_at"` // how fresh the figures and lists are
	Manager    *string              `json:"manager"`
	Figures    rowJSON              `json:"figures"`
	Company    rowJSON              `json:"company"`
	Managers   []rowJSON            `json:"managers"`
	Lists      map[string]*listJSON `json:"lists"`
}

func dateOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Format(time.DateOnly)
}

// listColumns are the columns of each list, in the order exports show them.
var listColumns = map[string][]string{
	FilterNotOrdered:   {"outlet", "name", "address", "manager", "manager_phone", "missed_cycles", "at_least", "last_order_cycle", "last_order_status", "last_order_reason", "last_order_total_cents"},
	FilterNotUploading: {"outlet", "name", "manager", "last_upload"},
	FilterFailed:       {"order", "outlet", "name", "manager", "cycle", "total_cents", "reason"},
	FilterLowBalance:   {"outlet", "name", "manager", "balance_cents", "last_paid_cents", "last_paid_cycle"},
}

func emptyOf(e indicators.EmptyOrder) map[string]any {
	return map[string]any{"outlet": e.Outlet, "name": e.Name, "address": e.Address, "manager": e.Manager,
		"manager_phone": e.ManagerPhone, "missed_cycles": e.Missed, "at_least": e.AtLeast,
		"last_order_cycle": dateOrNil(e.LastCycle), "last_order_status": e.LastStatus, "last_order_reason": e.LastReason,
		"last_order_total_cents": e.LastTotalCent}
}

func gapOf(g indicators.UploadGap) map[string]any {
	return map[string]any{"outlet": g.Outlet, "name": g.Name, "manager": g.Manager, "last_upload": dateOrNil(g.LastUpload)}
}

func failedOf(f indicators.FailedOrder) map[string]any {
	return map[string]any{"order": f.Order, "outlet": f.Outlet, "name": f.Name, "manager": f.Manager,
		"cycle": f.Cycle.Format(time.DateOnly), "total_cents": f.TotalCents, "reason": f.Reason}
}

func lowOf(l indicators.LowBalance) map[string]any {
	return map[string]any{"outlet": l.Outlet, "name": l.Name, "manager": l.Manager, "balance_cents": l.BalanceCents,
		"last_paid_cents": l.LastPaidCents, "last_paid_cycle": l.LastCycle.Format(time.DateOnly)}
}

// ReportView is a report as the API shows it, for `ordercast bulletin -json`.
func ReportView(rep indicators.Report) any {
	out := reportJSON{Period: periodOf(rep.Period), Level: string(rep.Level), Rows: []rowJSON{}, Company: rowOf(rep.Company),
		Stock: []stockJSON{}}
	for _, r := range rep.Rows {
		out.Rows = append(out.Rows, rowOf(r))
	}
	for _, b := range rep.Stock {
		out.Stock = append(out.Stock, stockOf(b))
	}
	return out
}
