package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

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
	var netErr net.Error
	switch {
	case errors.As(err, &pgErr), errors.Is(err, context.Canceled):
		return false
	case errors.As(err, &connectErr), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed), pgconn.Timeout(err):
		return true
	case errors.As(err, &netErr):
		return true
	}
	return false
}
