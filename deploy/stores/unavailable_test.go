package stores

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestConnectionLost(t *testing.T) {
	// A port nobody listens on: the dial is refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, refused := net.DialTimeout("tcp", addr, 2*time.Second)
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"refused dial", fmt.Errorf("connect: %w", refused), true},
		{"closed connection", fmt.Errorf("read: %w", net.ErrClosed), true},
		{"cancelled by the caller", fmt.Errorf("query: %w", context.Canceled), false},
		{"a server's answer", errors.New("syntax error at or near SELEC"), false},
		{"PostgreSQL shutting down", fmt.Errorf("connect: %w", &pgconn.PgError{Severity: "FATAL", Code: "57P03"}), true},
		{"PostgreSQL terminating the connection", &pgconn.PgError{Severity: "FATAL", Code: "57P01"}, true},
		{"too many connections", &pgconn.PgError{Severity: "FATAL", Code: "53300"}, true},
		{"a connection exception", &pgconn.PgError{Code: "08006"}, true},
		{"a unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"a serialization failure", &pgconn.PgError{Code: "40001"}, false},
		{"a replicated table without ZooKeeper", fmt.Errorf("insert: %w", &clickhouse.Exception{Code: 242, Message: "Table is in readonly mode"}), true},
		{"ZooKeeper's session expired", &clickhouse.Exception{Code: 999, Message: "Session expired"}, true},
		{"a shard's server timed out", &clickhouse.Exception{Code: 209, Message: "Timeout exceeded while reading from socket"}, true},
		{"an insert of unknown status", &clickhouse.Exception{Code: 319, Message: "Unknown status, client must retry"}, true},
		{"a ClickHouse syntax error", &clickhouse.Exception{Code: 62, Message: "Syntax error"}, false},
		{"an unknown ClickHouse table", &clickhouse.Exception{Code: 60, Message: "Table doesn't exist"}, false},
		{"nil", nil, false},
	} {
		if got := ConnectionLost(tt.err); got != tt.want {
			t.Errorf("ConnectionLost(%s: %v) = %v; want %v", tt.name, tt.err, got, tt.want)
		}
	}
}
