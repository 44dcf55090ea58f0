package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordercast/ordercast/retailer/indicators"
)

var _ indicators.WeeklyOrders = (*Store)(nil)

// WeeklyOrderCounts counts, per week of [from, to) and row of outlets, the outlets' scheduled cycles,
// those with an order confirmed and paid, and the orders that reached cut-off or failed in them, as
// OrderCounts counts them for one week: an outlet's cycle of a week is scheduled on a day of that week.
// The outlets' rows come as two arrays joined to the outlets by licence.
func (s *Store) WeeklyOrderCounts(ctx context.Context, from, to time.Time, outlets []indicators.TrendOutlet) ([]indicators.WeekFact, error) {
	licences, groups := make([]string, len(outlets)), make([]int32, len(outlets))
	for i, o := range outlets {
		licences[i], groups[i] = o.Licence, int32(o.Row)
	}
	rows, err := s.pool.Query(ctx, `WITH sched AS (`+scheduled+`),
	per AS (
		SELECT s.outlet_id, s.licence_no, s.week_start,
			bool_or(x.status IN ('paid', 'delivered')) AS paid,
			count(x.id) FILTER (WHERE x.status IN ('confirmed', 'paid', 'delivered', 'failed')) AS reached,
			count(x.id) FILTER (WHERE x.status = 'failed') AS failed
		FROM sched s LEFT JOIN orders x ON x.outlet_id = s.outlet_id AND x.cycle_id = s.cycle_id
			AND x.cycle_id IN (SELECT id FROM cycles WHERE week_start > $1::date - 7 AND week_start < $2::date)
		GROUP BY s.outlet_id, s.licence_no, s.cycle_id, s.week_start)
	SELECT p.week_start, g.grp, count(*), count(*) FILTER (WHERE p.paid), sum(p.reached), sum(p.failed)
	FROM per p JOIN unnest($4::text[], $5::int[]) AS g (licence, grp) ON g.licence = p.licence_no
	GROUP BY p.week_start, g.grp`, date(from), date(to), nil, licences, groups)
	if err != nil {
		return nil, fmt.Errorf("postgresql: count weekly orders: %w", err)
	}
	var out []indicators.WeekFact
	var week time.Time
	var grp int32
	var scheduled, paid, reached, failed int64
	_, err = pgx.ForEachRow(rows, []any{&week, &grp, &scheduled, &paid, &reached, &failed}, func() error {
		w := time.Date(week.Year(), week.Month(), week.Day(), 0, 0, 0, 0, time.UTC)
		out = append(out,
			indicators.WeekFact{Indicator: indicators.OrderSuccess, Week: w, Row: int(grp), Ratio: indicators.Ratio{Num: float64(paid), Den: float64(scheduled)}},
			indicators.WeekFact{Indicator: indicators.FailedOrders, Week: w, Row: int(grp), Ratio: indicators.Ratio{Num: float64(failed), Den: float64(reached)}})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgresql: count weekly orders: %w", err)
	}
	return out, nil
}
