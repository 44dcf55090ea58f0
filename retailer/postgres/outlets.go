package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordercast/ordercast/retailer"
)

// visibleOutlets returns the SQL condition on outlets alias o that limits a query to the outlets p
// may see, with its argument: authorization is part of every query, never a check after it.
func visibleOutlets(p retailer.Principal, arg int) (string, any) {
	switch p.Role {
	case retailer.RolePlanner, retailer.RoleAdmin:
		return fmt.Sprintf("($%d::bigint IS NOT NULL)", arg), int64(0)
	case retailer.RoleRetailer:
		return fmt.Sprintf("o.id = $%d", arg), p.OutletID
	case retailer.RoleManager:
		return fmt.Sprintf("o.manager_id = $%d", arg), p.ManagerID
	case retailer.RoleLogistics: // where to deliver: outlets with a paid order, until it is delivered
		return fmt.Sprintf("($%d::bigint IS NOT NULL AND EXISTS (SELECT 1 FROM orders x WHERE x.outlet_id = o.id AND x.status = 'paid'))", arg), int64(0)
	}
	return fmt.Sprintf("($%d::bigint IS NULL)", arg), int64(0) // sees none
}

// profileColumns are the columns of a profile, on outlets o and account_managers m, in scanProfile's order.
const profileColumns = `o.id, o.licence_no, o.name, o.address, o.area, o.business_format, o.locality,
	o.market_type, coalesce(m.code, ''), coalesce(m.name, ''), o.route, o.order_day, o.grade, o.credit_level,
	o.benchmark, o.collection_point, o.balance_cents, o.status`

// profileScan scans profileColumns (then extra destinations) into a profile.
type profileScan struct {
	pr                       retailer.Profile
	format, locality, status string
	orderDay                 int16
}

func (s *profileScan) dest(extra ...any) []any {
	pr := &s.pr
	return append([]any{&pr.ID, &pr.Licence, &pr.Name, &pr.Address, &pr.Area, &s.format, &s.locality,
		&pr.MarketType, &pr.Manager, &pr.ManagerName, &pr.Route, &s.orderDay, &pr.Grade, &pr.CreditLevel,
		&pr.Benchmark, &pr.CollectionPoint, &pr.BalanceCents, &s.status}, extra...)
}

func (s *profileScan) profile() retailer.Profile {
	pr := s.pr
	pr.Format, pr.Rural, pr.Status = retailer.Format(s.format), s.locality == "rural", retailer.Status(s.status)
	pr.OrderDay = time.Weekday(s.orderDay % 7)
	return pr
}

// Outlet returns the profile of outlet id if p may see it, or an error wrapping retailer.ErrNotFound.
func (s *Store) Outlet(ctx context.Context, p retailer.Principal, id int64) (retailer.Profile, error) {
	cond, arg := visibleOutlets(p, 2)
	var scan profileScan
	err := s.pool.QueryRow(ctx, `SELECT `+profileColumns+`
		FROM outlets o LEFT JOIN account_managers m ON m.id = o.manager_id
		WHERE o.id = $1 AND `+cond, id, arg).Scan(scan.dest()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return retailer.Profile{}, fmt.Errorf("%w: outlet %d", retailer.ErrNotFound, id)
	}
	if err != nil {
		return retailer.Profile{}, fmt.Errorf("postgresql: read outlet: %w", err)
	}
	return scan.profile(), nil
}

// Overviews returns the outlets p may see with ids above afterID, in id order, at most limit of them,
// each with its last order; status, when not empty, keeps only outlets in that status. Upload figures
// come from the history store and are left zero here.
func (s *Store) Overviews(ctx context.Context, p retailer.Principal, q retailer.OverviewQuery) ([]retailer.Overview, error) {
	cond, arg := visibleOutlets(p, 1)
	rows, err := s.pool.Query(ctx, `SELECT `+profileColumns+`, lo.id, c.week_start, lo.status, lo.updated_at
		FROM outlets o LEFT JOIN account_managers m ON m.id = o.manager_id
		LEFT JOIN LATERAL (SELECT id, cycle_id, status, updated_at FROM orders
			WHERE outlet_id = o.id ORDER BY id DESC LIMIT 1) lo ON true
		LEFT JOIN cycles c ON c.id = lo.cycle_id
		WHERE `+cond+` AND o.id > $2 AND ($3 = '' OR o.status = $3) AND ($5 = '' OR o.licence_no = $5)
		ORDER BY o.id LIMIT $4`,
		arg, q.After, string(q.Status), q.Limit, q.Licence)
	if err != nil {
		return nil, fmt.Errorf("postgresql: list outlets: %w", err)
	}
	var out []retailer.Overview
	for rows.Next() {
		var scan profileScan
		var orderID *int64
		var week, updated *time.Time
		var orderStatus *string
		if err := rows.Scan(scan.dest(&orderID, &week, &orderStatus, &updated)...); err != nil {
			return nil, fmt.Errorf("postgresql: list outlets: %w", err)
		}
		v := retailer.Overview{Profile: scan.profile()}
		if orderID != nil {
			v.LastOrder = &retailer.LastOrder{ID: *orderID, Week: *week, Status: *orderStatus, UpdatedAt: *updated}
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgresql: list outlets: %w", err)
	}
	return out, nil
}

// Outlets returns every outlet's master data, in licence order.
func (s *Store) Outlets(ctx context.Context) ([]retailer.Outlet, error) {
	rows, err := s.pool.Query(ctx, `SELECT o.licence_no, o.name, o.address, o.area, o.business_format, o.locality,
			o.market_type, coalesce(m.code, ''), o.route, o.order_day, o.grade, o.credit_level, o.benchmark,
			o.collection_point, o.balance_cents, o.status
		FROM outlets o LEFT JOIN account_managers m ON m.id = o.manager_id ORDER BY o.licence_no`)
	if err != nil {
		return nil, fmt.Errorf("postgresql: list outlets: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (retailer.Outlet, error) {
		var o retailer.Outlet
		var format, locality, status string
		var day int16
		err := r.Scan(&o.Licence, &o.Name, &o.Address, &o.Area, &format, &locality, &o.MarketType, &o.Manager, &o.Route,
			&day, &o.Grade, &o.CreditLevel, &o.Benchmark, &o.CollectionPoint, &o.BalanceCents, &status)
		o.Format, o.Rural, o.Status, o.OrderDay = retailer.Format(format), locality == "rural", retailer.Status(status), time.Weekday(day%7)
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgresql: list outlets: %w", err)
	}
	return out, nil
}

// ManagedScope returns an account manager's code and the licence numbers of the outlets assigned to
// them, or an error wrapping retailer.ErrNotFound when p is not a manager.
func (s *Store) ManagedScope(ctx context.Context, p retailer.Principal) (string, []string, error) {
	if p.Role != retailer.RoleManager {
		return "", nil, fmt.Errorf("%w: not an account manager", retailer.ErrNotFound)
	}
	var code string
	if err := s.pool.QueryRow(ctx, `SELECT code FROM account_managers WHERE id = $1`, p.ManagerID).Scan(&code); err != nil {
		return "", nil, fmt.Errorf("postgresql: read manager: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT licence_no FROM outlets WHERE manager_id = $1 ORDER BY licence_no`, p.ManagerID)
	if err != nil {
		return "", nil, fmt.Errorf("postgresql: read the manager's outlets: %w", err)
	}
	licences, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", nil, fmt.Errorf("postgresql: read the manager's outlets: %w", err)
	}
	return code, licences, nil
}
