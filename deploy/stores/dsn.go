package stores

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// OpenTimeout bounds how long Open waits for a store to answer before giving up.
const OpenTimeout = 10 * time.Second

// The stores deploy/local/up.sh starts: the defaults of every command and of the integration tests.
const (
	DefaultPostgresDSN   = "postgres://ordercast:ordercast@127.0.0.1:55432/ordercast?sslmode=disable"
	DefaultClickHouseDSN = "clickhouse://127.0.0.1:59000/ordercast"
)

// ErrUnreachable is returned (wrapped in a *StoreError) when a store does not answer in time.
var ErrUnreachable = errors.New("stores: store unreachable")

// StoreError says which store failed and where it was looked for. Its message never contains a password.
type StoreError struct {
	Store   string // "postgresql" or "clickhouse"
	Address string // host:port/database, without credentials
	Err     error
}

func (e *StoreError) Error() string {
	return fmt.Sprintf("%s at %s: %v", e.Store, e.Address, e.Err)
}

func (e *StoreError) Unwrap() error { return e.Err }

// Address returns the host, port and database of a URL-style DSN without user or password, for
// messages and logs. A DSN that does not parse as a URL is reported as "(unparsable DSN)".
func Address(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		return "(unparsable DSN)"
	}
	return u.Host + u.Path
}

// storeError builds a *StoreError whose message is scrubbed of the DSN's password, in case the
// driver echoed the DSN back.
func storeError(store, dsn string, err error) error {
	return &StoreError{Store: store, Address: Address(dsn), Err: scrubbed{err: err, secret: password(dsn)}}
}

func password(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return ""
	}
	p, _ := u.User.Password()
	return p
}

// scrubbed hides a secret from an error's message while keeping the error chain for errors.Is.
type scrubbed struct {
	err    error
	secret string
}

func (s scrubbed) Error() string {
	msg := s.err.Error()
	if s.secret != "" {
		msg = strings.ReplaceAll(msg, s.secret, "xxxxx")
	}
	return msg
}

func (s scrubbed) Unwrap() error { return s.err }
