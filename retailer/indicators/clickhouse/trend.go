package clickhouse

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"

	"github.com/ordercast/ordercast/retailer/indicators"
)

var _ indicators.WeeklyHistory = (*Store)(nil)

// trendOutlets is the external table a trend's query joins: every outlet of the directory with its
// row (-1: the company's only), whether it is active, a collection point, and the day it joined. Sent
// with the query (ClickHouse external data), it rolls the facts up by the directory's rows as
// PostgreSQL holds them now, without a per-outlet row coming back.
const trendOutlets = "trend_outlets"

func outletsTable(outlets []indicators.TrendOutlet) (*ext.Table, error) {
	t, err := ext.NewTable(trendOutlets, ext.Column("outlet", "String"), ext.Column("grp", "Int32"),
		ext.Column("active", "UInt8"), ext.Column("cp", "UInt8"), ext.Column("joined", "Date"))
	if err != nil {
		return nil, err
	}
	for _, o := range outlets {
		if err := t.Append(o.Licence, int32(o.Row), b2u(o.Active), b2u(o.CollectionPoint), o.Joined); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// WeeklyFacts reads the trend's history facts for the weeks of [from, to) in one query: a part per
// indicator, each grouped by week and row, joined to the outlets sent with it. An outlet counts in a
// week (for the upload rate, scarce coverage and shelving) when active and joined before the week's
// end. Sell-through marks each outlet × brand's weeks with an order as bits, from three weeks before
// from, so that each week compares with its previous three in the same pass.
func (s *Store) WeeklyFacts(ctx context.Context, from, to time.Time, scarce []string, shelving []indicators.Brand, outlets []indicators.TrendOutlet) ([]indicators.WeekFact, error) {
	weeks := int(to.Sub(from).Hours()/24) / 7
	if weeks < 1 || len(outlets) == 0 {
		return nil, nil
	}
	table, err := outletsTable(outlets)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read weekly facts: %w", err)
	}
	counts := " WHERE active = 1 AND joined < w + 7"
	join := " ANY INNER JOIN " + trendOutlets + " USING outlet"
	var parts []string
	var args []any
	part := func(sql string, a ...any) { parts = append(parts, sql); args = append(args, a...) }

	part("SELECT 'upload_rate' AS ind, w, grp, toFloat64(count()) AS num, toFloat64(0) AS den FROM ("+
		"SELECT DISTINCT toMonday(day) AS w, outlet FROM scans WHERE day >= toDate(?) AND day < toDate(?))"+
		join+counts+" AND cp = 1 GROUP BY w, grp", date(from), date(to))
	if len(scarce) > 0 {
		part("SELECT 'scarce_coverage', w, grp, toFloat64(count()), toFloat64(0) FROM ("+
			"SELECT DISTINCT toMonday(day) AS w, outlet FROM sales WHERE dataset = ? AND day >= toDate(?) AND day < toDate(?) "+
			"AND delivered > 0 AND has(?, brand))"+join+counts+" GROUP BY w, grp", Dataset, date(from), date(to), scarce)
	}
	part("SELECT 'stock_out_rate', w, grp, sum(n), sum(d) FROM ("+
		"SELECT toMonday(day) AS w, outlet, toFloat64(countIf(granted = 0)) AS n, toFloat64(count()) AS d FROM sales "+
		"WHERE dataset = ? AND requested > 0 AND day >= toDate(?) AND day < toDate(?) GROUP BY w, outlet)"+join+
		" GROUP BY w, grp", Dataset, date(from), date(to))
	// Week k of the mask starts 7k days after base; trend week k compares its orders (bit k+3) with
	// those of weeks k to k+2. (ClickHouse 18.16's lambdas capture no column: the mask is replicated.)
	base := from.AddDate(0, 0, -7*indicators.SellThroughBack)
	before := uint64(1)<<indicators.SellThroughBack - 1
	part(fmt.Sprintf("SELECT 'sell_through_rate', toDate(?) + 7 * (i - 1), grp, n, d FROM ("+
		"SELECT grp, sumForEach(ns) AS nums, sumForEach(ds) AS dens FROM ("+
		"SELECT outlet, arrayMap((m, k) -> toFloat64(bitAnd(m, bitShiftLeft(toUInt64(%[1]d), k)) != 0 "+
		"AND bitAnd(m, bitShiftLeft(toUInt64(%[2]d), k)) != 0), replicate(mask, range(%[3]d)), range(%[3]d)) AS ns, "+
		"arrayMap((m, k) -> toFloat64(bitAnd(m, bitShiftLeft(toUInt64(%[1]d), k)) != 0), replicate(mask, range(%[3]d)), range(%[3]d)) AS ds FROM ("+
		"SELECT outlet, brand, groupBitOr(bitShiftLeft(toUInt64(1), toUInt64(intDiv(toRelativeDayNum(day) - toRelativeDayNum(toDate(?)), 7)))) AS mask "+
		"FROM sales WHERE dataset = ? AND requested > 0 AND day >= toDate(?) AND day < toDate(?) GROUP BY outlet, brand))"+
		join+" GROUP BY grp) ARRAY JOIN nums AS n, dens AS d, arrayEnumerate(nums) AS i",
		before, before+1, weeks), date(from), date(base), Dataset, date(base), date(to))
	if len(shelving) > 0 {
		codes, launches, untils := make([]string, len(shelving)), make([]string, len(shelving)), make([]string, len(shelving))
		first, last := to, from
		for i, b := range shelving {
			until := b.Launch.AddDate(0, 0, 7*indicators.ShelvingWeeks)
			codes[i], launches[i], untils[i] = b.Code, date(b.Launch), date(until)
			first, last = minTime(first, b.Launch), maxTime(last, until)
		}
		// Within each brand's shelving weeks, the first day it was delivered and the first day it showed
		// (stock above 0 or a scanned sale): shelved by the end of a week when both came before it.
		window := "has(?, brand) AND day >= toDate(?) AND day < toDate(?) " +
			"AND day >= toDate(transform(brand, ?, ?, '1970-01-01')) AND day < toDate(transform(brand, ?, ?, '1970-01-01'))"
		wargs := []any{codes, date(first), date(last), codes, launches, codes, untils}
		a := []any{date(from)}
		a = append(append(append(a, Dataset), wargs...), wargs...)
		a = append(a, codes, launches, codes, untils)
		part(fmt.Sprintf("SELECT 'new_product_shelving', w, grp, toFloat64(count()), toFloat64(0) FROM ("+
			"SELECT outlet, brand, f, arrayJoin(arrayMap(k -> toDate(?) + 7 * k, range(%d))) AS w FROM ("+
			"SELECT outlet, brand, greatest(d, s) AS f FROM ("+
			"SELECT outlet, brand, min(day) AS d FROM sales WHERE dataset = ? AND delivered > 0 AND "+window+" GROUP BY outlet, brand) "+
			"ANY INNER JOIN (SELECT outlet, brand, min(day) AS s FROM scans WHERE qty > 0 AND "+window+" GROUP BY outlet, brand) "+
			"USING outlet, brand))"+join+counts+" AND f < w + 7 AND toDate(transform(brand, ?, ?, '1970-01-01')) < w + 7 "+
			"AND toDate(transform(brand, ?, ?, '1970-01-01')) > w GROUP BY w, grp", weeks), a...)
	}

	rows, err := s.conn.Query(clickhouse.Context(ctx, clickhouse.WithExternalTable(table)), strings.Join(parts, " UNION ALL "), args...)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read weekly facts: %w", err)
	}
	defer rows.Close()
	var out []indicators.WeekFact
	for rows.Next() {
		var ind string
		var week time.Time
		var grp int32
		var r indicators.Ratio
		if err := rows.Scan(&ind, &week, &grp, &r.Num, &r.Den); err != nil {
			return nil, fmt.Errorf("clickhouse: read weekly facts: %w", err)
		}
		out = append(out, indicators.WeekFact{Indicator: indicators.Indicator(ind),
			Week: time.Date(week.Year(), week.Month(), week.Day(), 0, 0, 0, 0, time.UTC), Row: int(grp), Ratio: r})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: read weekly facts: %w", err)
	}
	return out, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
