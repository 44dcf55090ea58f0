package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/retailer"
)

// unavailable returns err, made to match retailer.ErrUnavailable as well when PostgreSQL could not be
// reached or the connection broke (a failed connect, refused, reset, EOF, a network timeout). An error
// the server answered (*pgconn.PgError: a constraint, bad SQL) is not unavailability, and neither is
// a cancelled context.
func unavailable(err error) error {
	if err == nil || errors.Is(err, retailer.ErrUnavailable) || !connectionLevel(err) {
		return err
	}
	return fmt.Errorf("%w: %w", retailer.ErrUnavailable, err)
}

func connectionLevel(err error) bool {
	var pgErr *pgconn.PgError
	var connectErr *pgconn.ConnectError
	switch {
	case errors.As(err, &pgErr): // the server answered
		return false
	case errors.As(err, &connectErr), pgconn.Timeout(err):
		return true
	}
	return stores.ConnectionLost(err)
}
