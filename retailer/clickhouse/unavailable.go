package clickhouse

import (
	"errors"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/retailer"
)

// unavailable returns err, made to match retailer.ErrUnavailable as well when it says that ClickHouse
// could not be reached or the connection broke (refused, reset, closed, EOF, a network timeout, no
// connection within the dial timeout). An exception the server sent (a bad query, a missing table) is
// not unavailability, and neither is a cancelled context: err is returned as it is.
func unavailable(err error) error {
	if err == nil || errors.Is(err, retailer.ErrUnavailable) || !connectionLevel(err) {
		return err
	}
	return fmt.Errorf("%w: %w", retailer.ErrUnavailable, err)
}

func connectionLevel(err error) bool {
	var exc *clickhouse.Exception
	switch {
	case errors.As(err, &exc): // the server answered
		return false
	case errors.Is(err, clickhouse.ErrAcquireConnTimeout), errors.Is(err, clickhouse.ErrConnectionClosed):
		return true
	}
	return stores.ConnectionLost(err)
}
