package supplyapi

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
	"github.com/ordercast/ordercast/ordering"
)

// The adapter's own errors, and the ordering sentinels its stores return, answer other than 500.
func TestProblemsMapTheErrorsOfTheRoutes(t *testing.T) {
	r := problem.NewRenderer((&Handler{}).Problems())
	for _, err := range []error{errRole, errNoShortfall, ordering.ErrInvalid, ordering.ErrNotFound,
		&ordering.ValidationError{Fields: map[string]string{"brand": "required"}}} {
		wrapped := fmt.Errorf("handler: %w", err)
		if b, known := r.Of(wrapped); !known || b.Status >= http.StatusInternalServerError || !errors.Is(wrapped, err) {
			t.Errorf("%v answers %d (known %v); want a 4xx", err, b.Status, known)
		}
	}
}
