package retailer

import (
	"errors"
	"fmt"
	"time"
)

// ErrUnavailable: a store could not be reached (connection refused or lost, a timeout) and the
// operation did not take place, or took place only in a part that a retry completes. Store adapters
// wrap connection-level failures with it, never an error the store answered (a bad query, a
// constraint). It passes: retry after UnavailableRetry.
var ErrUnavailable = errors.New("retailer: store unavailable")

// UnavailableRetry is how long a caller refused with ErrUnavailable should wait before it tries again.
const UnavailableRetry = 5 * time.Second

// WhenLost returns err, made to match ErrUnavailable as well when lost reports that it says a store
// could not be reached (a store adapter passes its classification of connection failures).
func WhenLost(err error, lost func(error) bool) error {
	if err == nil || errors.Is(err, ErrUnavailable) || !lost(err) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}
