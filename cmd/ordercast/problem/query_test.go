package problem

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestQuery(t *testing.T) {
	tests := []struct {
		name    string
		allowed []string
		query   string
		unknown []string // nil: the handler runs
	}{
		{"none given", []string{"limit"}, "", nil},
		{"known", []string{"limit", "after"}, "limit=3&after=9", nil},
		{"known repeated", []string{"key"}, "key=a&key=b", nil},
		{"unknown", []string{"limit"}, "ordered=false", []string{"ordered"}},
		{"unknown beside known", []string{"limit"}, "limit=3&ordered=false&Limit=4", []string{"Limit", "ordered"}},
		{"a route that takes none", nil, "x=1", []string{"x"}},
		{"empty name", nil, "=1", []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := echo.New()
			c := e.NewContext(httptest.NewRequest(http.MethodGet, "/?"+tt.query, nil), httptest.NewRecorder())
			ran := false
			err := Query(tt.allowed...)(func(echo.Context) error { ran = true; return nil })(c)
			if tt.unknown == nil {
				if err != nil || !ran {
					t.Fatalf("Query(%v) on ?%s = %v, handler ran %v; want nil and the handler run", tt.allowed, tt.query, err, ran)
				}
				return
			}
			var fe interface{ FieldErrors() map[string]string }
			if ran || !errors.Is(err, ErrUnknownQuery) || !errors.As(err, &fe) || len(fe.FieldErrors()) != len(tt.unknown) {
				t.Fatalf("Query(%v) on ?%s = %v, handler ran %v; want ErrUnknownQuery naming %v", tt.allowed, tt.query, err, ran, tt.unknown)
			}
			for _, name := range tt.unknown {
				detail := fe.FieldErrors()[name]
				if !strings.Contains(detail, "unknown query parameter") {
					t.Errorf("field %q: %q; want it named unknown", name, detail)
				}
			}
		})
	}
	b, known := NewRenderer().Of(Query()(nil)(echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/?a=1", nil), httptest.NewRecorder())))
	if !known || b.Status != http.StatusBadRequest || b.Type != "/problems/unknown-query-parameter" || len(b.Errors) != 1 || b.Errors[0].Field != "a" {
		t.Errorf("rendered: %+v, known %v; want 400 /problems/unknown-query-parameter with field a", b, known)
	}
}
