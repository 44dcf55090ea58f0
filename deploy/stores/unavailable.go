package stores

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/jackc/pgx/v5/pgconn"
)

// ConnectionLost reports whether err says that PostgreSQL or ClickHouse could not be reached or that
// the connection to it broke: refused, reset, a broken pipe, EOF mid-answer, a closed connection, a
// failed connect, a network timeout (a dial error, a read or write deadline), or no pooled connection
// in time. An answer the server sent (a bad query, a constraint, a missing table) is not, and neither
// is a cancelled context: the caller gave up.
func ConnectionLost(err error) bool {
	var netErr net.Error
	var pgErr *pgconn.PgError
	var exc *clickhouse.Exception
	var connectErr *pgconn.ConnectError
	switch {
	case err == nil, errors.Is(err, context.Canceled), errors.As(err, &pgErr), errors.As(err, &exc):
		return false
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.As(err, &connectErr), pgconn.Timeout(err),
		errors.Is(err, clickhouse.ErrAcquireConnTimeout), errors.Is(err, clickhouse.ErrConnectionClosed):
		return true
	}
	return errors.As(err, &netErr)
}
