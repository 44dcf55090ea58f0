package clickhouse

import (
	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/retailer"
)

// unavailable returns err, made to match retailer.ErrUnavailable as well when it says that ClickHouse
// could not be reached or the connection broke (stores.ConnectionLost); an answer the server sent, or a
// cancelled context, is returned as it is.
func unavailable(err error) error { return retailer.WhenLost(err, stores.ConnectionLost) }
