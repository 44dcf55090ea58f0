// Package clickhouse is the indicators' adapter to the ClickHouse history store, where history and
// scans live: sales lines (requested, granted, delivered) for scarce-brand coverage, new-product
// shelving, sell-through, stock-outs and the stock-to-sales ratio; validated terminal scans for the
// upload rate; and the stored forecast accuracy scores.
//
// Statements are written for ClickHouse 18.16 and current releases alike (../shared/design/
// CLICKHOUSE.md): dates are bound as YYYY-MM-DD strings through toDate(?), arrays through has(?, x).
package clickhouse

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ordercast/ordercast/retailer/indicators"
)

// Dataset is the company's own history in the sales table.
const Dataset = "live"

// Store reads the indicators' ClickHouse facts. It is safe for concurrent use.
type Store struct {
	conn driver.Conn
}

// New returns a Store on conn; the caller keeps ownership of conn.
func New(conn driver.Conn) *Store { return &Store{conn: conn} }

var (
	_ indicators.History = (*Store)(nil)
	_ indicators.Scores  = (*Store)(nil)
)

func date(t time.Time) string { return t.Format(time.DateOnly) }

// within is a licence filter on column outlet: nothing for nil, has(?, outlet) otherwise.
func within(outlets []string, args []any) (string, []any) {
	if outlets == nil {
		return "", args
	}
	return " AND has(?, outlet)", append(args, outlets)
}

// none reports whether a filter keeps no outlet at all (an empty, non-nil list).
func none(outlets []string) bool { return outlets != nil && len(outlets) == 0 }

// LastUploads returns each outlet's last day with a valid scan in [since, before).
func (s *Store) LastUploads(ctx context.Context, since, before time.Time, outlets []string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	if none(outlets) {
		return out, nil
	}
	cond, args := within(outlets, []any{date(since), date(before)})
	rows, err := s.conn.Query(ctx, "SELECT outlet, max(day) FROM scans WHERE day >= toDate(?) AND day < toDate(?)"+cond+
		" GROUP BY outlet", args...)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read last uploads: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var outlet string
		var day time.Time
		if err := rows.Scan(&outlet, &day); err != nil {
			return nil, fmt.Errorf("clickhouse: read last uploads: %w", err)
		}
		out[outlet] = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: read last uploads: %w", err)
	}
	return out, nil
}

// Received returns the outlets delivered at least one unit of one of brands in p.
func (s *Store) Received(ctx context.Context, p indicators.Period, brands []string, outlets []string) (map[string]bool, error) {
	if none(outlets) || len(brands) == 0 {
		return map[string]bool{}, nil
	}
	cond, args := within(outlets, []any{Dataset, date(p.Start), date(p.End), brands})
	return s.outletSet(ctx, "read scarce-brand deliveries", "SELECT DISTINCT outlet FROM sales WHERE dataset = ? "+
		"AND day >= toDate(?) AND day < toDate(?) AND delivered > 0 AND has(?, brand)"+cond, args)
}

// Shelved returns the outlets delivered brand in [from, to) that show it in the same days: a stock
// count above 0 or a scanned sale.
func (s *Store) Shelved(ctx context.Context, brand string, from, to time.Time, outlets []string) (map[string]bool, error) {
	if none(outlets) {
		return map[string]bool{}, nil
	}
	cond, args := within(outlets, []any{Dataset, brand, date(from), date(to), brand, date(from), date(to)})
	return s.outletSet(ctx, "read new-product shelving", "SELECT DISTINCT outlet FROM sales WHERE dataset = ? AND brand = ? "+
		"AND day >= toDate(?) AND day < toDate(?) AND delivered > 0 AND outlet GLOBAL IN (SELECT outlet FROM scans "+
		"WHERE brand = ? AND qty > 0 AND day >= toDate(?) AND day < toDate(?))"+cond, args)
}

func (s *Store) outletSet(ctx context.Context, what, query string, args []any) (map[string]bool, error) {
	rows, err := s.conn.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: %s: %w", what, err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var outlet string
		if err := rows.Scan(&outlet); err != nil {
			return nil, fmt.Errorf("clickhouse: %s: %w", what, err)
		}
		out[outlet] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: %s: %w", what, err)
	}
	return out, nil
}

// SellThrough returns per outlet the brands it ordered (requested > 0) in [prevStart, p.Start) as Den
// and, of those, the brands it ordered in p as Num.
func (s *Store) SellThrough(ctx context.Context, p indicators.Period, prevStart time.Time, outlets []string) (map[string]indicators.Ratio, error) {
	if none(outlets) {
		return map[string]indicators.Ratio{}, nil
	}
	cond, args := within(outlets, []any{date(p.Start), date(p.Start), Dataset, date(prevStart), date(p.End)})
	return s.ratios(ctx, "read sell-through", "SELECT outlet, toFloat64(countIf(now_ > 0)), toFloat64(count()) FROM ("+
		"SELECT outlet, brand, countIf(day < toDate(?)) AS before, countIf(day >= toDate(?)) AS now_ FROM sales "+
		"WHERE dataset = ? AND requested > 0 AND day >= toDate(?) AND day < toDate(?)"+cond+
		" GROUP BY outlet, brand) WHERE before > 0 GROUP BY outlet", args)
}

// StockOuts returns per outlet the demand records of p (lines with a requested quantity) as Den and
// those granted nothing as Num.
func (s *Store) StockOuts(ctx context.Context, p indicators.Period, outlets []string) (map[string]indicators.Ratio, error) {
	if none(outlets) {
		return map[string]indicators.Ratio{}, nil
	}
	cond, args := within(outlets, []any{Dataset, date(p.Start), date(p.End)})
	return s.ratios(ctx, "read stock-outs", "SELECT outlet, toFloat64(countIf(granted = 0)), toFloat64(count()) FROM sales "+
		"WHERE dataset = ? AND requested > 0 AND day >= toDate(?) AND day < toDate(?)"+cond+" GROUP BY outlet", args)
}

func (s *Store) ratios(ctx context.Context, what, query string, args []any) (map[string]indicators.Ratio, error) {
	rows, err := s.conn.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: %s: %w", what, err)
	}
	defer rows.Close()
	out := map[string]indicators.Ratio{}
	for rows.Next() {
		var key string
		var r indicators.Ratio
		if err := rows.Scan(&key, &r.Num, &r.Den); err != nil {
			return nil, fmt.Errorf("clickhouse: %s: %w", what, err)
		}
		out[key] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: %s: %w", what, err)
	}
	return out, nil
}

// StockToSales returns, per outlet and per brand, the cartons in stock at the last stock count in
// [end − windowWeeks, end) over the average weekly cartons delivered in the same days, summed over
// the outlet × brand pairs that have both a count and deliveries.
func (s *Store) StockToSales(ctx context.Context, end time.Time, windowWeeks int, packs map[string]int, outlets []string) (map[string]indicators.Ratio, map[string]indicators.Ratio, error) {
	if none(outlets) {
		return map[string]indicators.Ratio{}, map[string]indicators.Ratio{}, nil
	}
	codes, per := []string{}, []float64{}
	for code, n := range packs {
		codes, per = append(codes, code), append(per, float64(n))
	}
	from := end.AddDate(0, 0, -7*windowWeeks)
	stockCond, stockArgs := within(outlets, []any{date(from), date(end)})
	salesCond, salesArgs := within(outlets, []any{Dataset, date(from), date(end)})
	args := append([]any{codes, per, float64(windowWeeks)}, append(stockArgs, salesArgs...)...)
	pairs := "SELECT outlet, brand, stock / transform(brand, ?, ?, 10.) AS cartons, sold / ? AS weekly FROM (" +
		"SELECT outlet, brand, argMax(qty, scanned_at) AS stock FROM scans WHERE kind = 'stock' " +
		"AND day >= toDate(?) AND day < toDate(?)" + stockCond + " GROUP BY outlet, brand) ANY INNER JOIN (" +
		"SELECT outlet, brand, sum(delivered) AS sold FROM sales WHERE dataset = ? AND day >= toDate(?) AND day < toDate(?)" +
		salesCond + " GROUP BY outlet, brand) USING (outlet, brand) WHERE sold > 0"
	// One pass over the pairs gives both sums: reading the join twice, once per grouping, cost twice
	// as much in ClickHouse as adding up its ~130,000 pairs here (100,000 outlets).
	rows, err := s.conn.Query(ctx, pairs, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("clickhouse: read stock-to-sales: %w", err)
	}
	defer rows.Close()
	perOutlet, perBrand := map[string]indicators.Ratio{}, map[string]indicators.Ratio{}
	for rows.Next() {
		var outlet, brand string
		var r indicators.Ratio
		if err := rows.Scan(&outlet, &brand, &r.Num, &r.Den); err != nil {
			return nil, nil, fmt.Errorf("clickhouse: read stock-to-sales: %w", err)
		}
		perOutlet[outlet] = perOutlet[outlet].Add(r)
		perBrand[brand] = perBrand[brand].Add(r)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("clickhouse: read stock-to-sales: %w", err)
	}
	return perOutlet, perBrand, nil
}

// BrandWeeklySales returns per brand the average weekly cartons delivered to every outlet in the
// windowWeeks before end: the company's sales, of which the brands' stock limits are weeks.
func (s *Store) BrandWeeklySales(ctx context.Context, end time.Time, windowWeeks int) (map[string]float64, error) {
	from := end.AddDate(0, 0, -7*windowWeeks)
	rows, err := s.conn.Query(ctx, "SELECT brand, sum(delivered) / ? FROM sales WHERE dataset = ? "+
		"AND day >= toDate(?) AND day < toDate(?) GROUP BY brand", float64(windowWeeks), Dataset, date(from), date(end))
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read the brands' weekly sales: %w", err)
	}
	defer rows.Close()
	out := map[string]float64{}
	for rows.Next() {
		var brand string
		var weekly float64
		if err := rows.Scan(&brand, &weekly); err != nil {
			return nil, fmt.Errorf("clickhouse: read the brands' weekly sales: %w", err)
		}
		out[brand] = weekly
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: read the brands' weekly sales: %w", err)
	}
	return out, nil
}

// LatestScored returns the latest month in [from, before) of the live dataset scored against basis.
func (s *Store) LatestScored(ctx context.Context, from, before time.Time, basis string) (time.Time, bool, error) {
	var month time.Time
	var scored uint64
	if err := s.conn.QueryRow(ctx, "SELECT max(month), count() FROM accuracy_scores WHERE dataset = ? AND against = ? "+
		"AND month >= toDate(?) AND month < toDate(?)", Dataset, basis, date(from), date(before)).Scan(&month, &scored); err != nil {
		return time.Time{}, false, fmt.Errorf("clickhouse: read the latest scored month: %w", err)
	}
	if scored == 0 {
		return time.Time{}, false, nil
	}
	return time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, time.UTC), true, nil
}

// Accuracy returns the latest scoring of the live dataset's month against basis at level, per key.
func (s *Store) Accuracy(ctx context.Context, month time.Time, basis, level string) (map[string]float64, bool, error) {
	where := "WHERE month = toDate(?) AND dataset = ? AND against = ?"
	scope := []any{date(month), Dataset, basis}
	rows, err := s.conn.Query(ctx, "SELECT key, accuracy, actual FROM accuracy_scores "+where+" AND level = ? "+
		"AND scored_at = (SELECT max(scored_at) FROM accuracy_scores "+where+")",
		append(append(append([]any{}, scope...), level), scope...)...)
	if err != nil {
		return nil, false, fmt.Errorf("clickhouse: read accuracy scores: %w", err)
	}
	defer rows.Close()
	out := map[string]float64{}
	for rows.Next() {
		var key string
		var accuracy, actual float64
		if err := rows.Scan(&key, &accuracy, &actual); err != nil {
			return nil, false, fmt.Errorf("clickhouse: read accuracy scores: %w", err)
		}
		if actual <= 0 {
			accuracy = math.NaN() // A = 0: no accuracy to report
		}
		out[key] = accuracy
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("clickhouse: read accuracy scores: %w", err)
	}
	if len(out) > 0 {
		return out, true, nil
	}
	var scored uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM accuracy_scores "+where, scope...).Scan(&scored); err != nil {
		return nil, false, fmt.Errorf("clickhouse: read accuracy scores: %w", err)
	}
	return out, scored > 0, nil
}
