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
	}
	return fmt.Sprintf("($%d::bigint IS NULL)", arg), int64(0) // sees none
}

// Outlet returns the profile of outlet id if p may see it, or an error wrapping retailer.ErrNotFound.
func (s *Store) Outlet(ctx context.Context, p retailer.Principal, id int64) (retailer.Profile, error) {
	cond, arg := visibleOutlets(p, 2)
	var pr retailer.Profile
	var format, locality, status string
	var orderDay int16
	err := s.pool.QueryRow(ctx, `SELECT o.id, o.licence_no, o.name, o.address, o.area, o.business_format, o.locality,
			o.market_type, coalesce(m.code, ''), coalesce(m.name, ''), o.route, o.order_day, o.grade, o.credit_level,
			o.benchmark, o.collection_point, o.balance_cents, o.status
		FROM outlets o LEFT JOIN account_managers m ON m.id = o.manager_id
		WHERE o.id = $1 AND `+cond, id, arg).Scan(&pr.ID, &pr.Licence, &pr.Name, &pr.Address, &pr.Area, &format, &locality,
		&pr.MarketType, &pr.Manager, &pr.ManagerName, &pr.Route, &orderDay, &pr.Grade, &pr.CreditLevel,
		&pr.Benchmark, &pr.CollectionPoint, &pr.BalanceCents, &status)
	if errors.Is(err, pgx.ErrNoRows) {
		return retailer.Profile{}, fmt.Errorf("%w: outlet %d", retailer.ErrNotFound, id)
	}
	if err != nil {
		return retailer.Profile{}, fmt.Errorf("postgresql: read outlet: %w", err)
	}
	pr.Format, pr.Rural, pr.Status = retailer.Format(format), locality == "rural", retailer.Status(status)
	pr.OrderDay = time.Weekday(orderDay % 7)
	return pr, nil
}
