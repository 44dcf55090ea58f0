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
// in time; PostgreSQL's own word that it cannot serve now: shutting down or starting up (SQLSTATE
// 57P01 to 57P03), too many connections (53300), a connection exception (class 08); and ClickHouse's
// (clickhouseUnavailable): a server of its cluster or its ZooKeeper out of reach. Any other answer
// the server sent (a bad query, a constraint, a missing table) is not, and neither is a cancelled
// context: the caller gave up.
func ConnectionLost(err error) bool {
	var netErr net.Error
	var pgErr *pgconn.PgError
	var exc *clickhouse.Exception
	var connectErr *pgconn.ConnectError
	switch {
	case err == nil, errors.Is(err, context.Canceled):
		return false
	case errors.As(err, &pgErr):
		return pgUnavailable(pgErr.Code)
	case errors.As(err, &exc):
		return clickhouseUnavailable(exc.Code)
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.As(err, &connectErr), pgconn.Timeout(err),
		errors.Is(err, clickhouse.ErrAcquireConnTimeout), errors.Is(err, clickhouse.ErrConnectionClosed):
		return true
	}
	return errors.As(err, &netErr)
}

// pgUnavailable reports whether a PostgreSQL error code says the server cannot serve now, so that
// the same request may succeed later: admin_shutdown, crash_shutdown, cannot_connect_now,
// too_many_connections, or a connection exception.
func pgUnavailable(code string) bool {
	switch code {
	case "57P01", "57P02", "57P03", "53300":
		return true
	}
	return len(code) == 5 && code[:2] == "08"
}

// clickhouseUnavailable reports whether a ClickHouse exception code says that the server cannot serve
// the query now for want of another server, so that the same query may succeed later: its replicated
// tables are read-only or its ZooKeeper does not answer (TABLE_IS_READ_ONLY 242, NO_ZOOKEEPER 225,
// KEEPER_EXCEPTION 999: connection loss, session expired), an INSERT whose outcome it cannot know
// after losing ZooKeeper (UNKNOWN_STATUS_OF_INSERT 319: retry it), or another server of the cluster
// out of reach from it (SOCKET_TIMEOUT 209, NETWORK_ERROR 210, ALL_CONNECTION_TRIES_FAILED 279).
func clickhouseUnavailable(code int32) bool {
	switch code {
	case 209, 210, 225, 242, 279, 319, 999:
		return true
	}
	return false
}
