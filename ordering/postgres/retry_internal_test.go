package postgres

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestRetryable(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "40P01"}, true},                           // deadlock_detected
		{fmt.Errorf("insert: %w", &pgconn.PgError{Code: "40001"}), true}, // serialization_failure, wrapped
		{&pgconn.PgError{Code: "23505"}, false},                          // unique_violation
		{errors.New("connection refused"), false},
		{nil, false},
	} {
		if got := retryable(tt.err); got != tt.want {
			t.Errorf("retryable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
