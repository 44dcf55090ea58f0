package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordercast/ordercast/ordering"
)

// SupplyOutcomes returns, for the cycles of the weeks [from, to), every rationed brand (a published
// supply) of manufacturer (all when 0) with its limits, what its orders requested and were granted,
// and its coverage of eligible outlets, by week and brand.
func (s *Store) SupplyOutcomes(ctx context.Context, manufacturer int64, from, to time.Time) ([]ordering.SupplyOutcome, error) {
	rows, err := s.pool.Query(ctx, `WITH sp AS (
			SELECT sp.cycle_id, c.week_start, sp.brand_id, b.code, sp.on_sale, sp.supply_cartons, sp.per_outlet_cap, sp.published_at
			FROM supply_plans sp JOIN cycles c ON c.id = sp.cycle_id JOIN brands b ON b.id = sp.brand_id
			WHERE c.week_start >= $1 AND c.week_start < $2 AND sp.supply_cartons IS NOT NULL AND ($3 = 0 OR b.manufacturer_id = $3)),
		lim AS (
			SELECT l.cycle_id, l.brand_id, count(*) AS n, sum(l.limit_cartons) AS limits, sum(l.used_cartons) AS used,
				count(*) FILTER (WHERE t.status = 'active') AS eligible,
				count(*) FILTER (WHERE t.status = 'active' AND l.used_cartons > 0) AS covered
			FROM outlet_limits l JOIN outlets t ON t.id = l.outlet_id JOIN sp USING (cycle_id, brand_id) GROUP BY l.cycle_id, l.brand_id),
		ord AS (
			SELECT o.cycle_id, ol.brand_id, sum(ol.requested_cartons) AS requested, sum(ol.granted_cartons) AS granted
			FROM orders o JOIN order_lines ol ON ol.order_id = o.id JOIN sp ON sp.cycle_id = o.cycle_id AND sp.brand_id = ol.brand_id
			WHERE o.status NOT IN ('cancelled', 'failed') GROUP BY o.cycle_id, ol.brand_id)
		SELECT sp.week_start, sp.code, sp.on_sale, sp.supply_cartons, sp.per_outlet_cap, sp.published_at,
			coalesce(lim.n, 0), coalesce(lim.limits, 0), coalesce(lim.used, 0),
			coalesce(ord.requested, 0), coalesce(ord.granted, 0), coalesce(lim.eligible, 0), coalesce(lim.covered, 0)
		FROM sp LEFT JOIN lim USING (cycle_id, brand_id) LEFT JOIN ord USING (cycle_id, brand_id)
		ORDER BY sp.week_start, sp.code`, from, to, manufacturer)
	if err != nil {
		return nil, fmt.Errorf("postgresql: supply outcomes: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ordering.SupplyOutcome, error) {
		var o ordering.SupplyOutcome
		var published *time.Time
		err := r.Scan(&o.Week, &o.Brand, &o.OnSale, &o.SupplyCartons, &o.PerOutletCap, &published, &o.Limits, &o.LimitCartons,
			&o.UsedCartons, &o.Requested, &o.Granted, &o.Eligible, &o.Covered)
		if published != nil {
			o.PublishedAt = *published
		}
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgresql: supply outcomes: %w", err)
	}
	return out, nil
}

var _ ordering.RationedSupply = (*Store)(nil)

// RationedSupply returns the published supplies (a supply to allocate) of the cycles of the weeks
// [from, to) of manufacturer's brands (every brand when 0), by week and brand code, with their supply
// line and publication time and no figures.
func (s *Store) RationedSupply(ctx context.Context, manufacturer int64, from, to time.Time) ([]ordering.SupplyOutcome, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.week_start, b.code, sp.on_sale, sp.supply_cartons, sp.per_outlet_cap, sp.published_at
		FROM supply_plans sp JOIN cycles c ON c.id = sp.cycle_id JOIN brands b ON b.id = sp.brand_id
		WHERE c.week_start >= $1 AND c.week_start < $2 AND sp.supply_cartons IS NOT NULL AND ($3 = 0 OR b.manufacturer_id = $3)
		ORDER BY c.week_start, b.code`, from, to, manufacturer)
	if err != nil {
		return nil, fmt.Errorf("postgresql: rationed supply: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ordering.SupplyOutcome, error) {
		var o ordering.SupplyOutcome
		var published *time.Time
		err := r.Scan(&o.Week, &o.Brand, &o.OnSale, &o.SupplyCartons, &o.PerOutletCap, &published)
		if published != nil {
			o.PublishedAt = *published
		}
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgresql: rationed supply: %w", err)
	}
	return out, nil
}
