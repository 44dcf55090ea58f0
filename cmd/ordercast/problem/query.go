package problem

import (
	"errors"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"
)

// ErrUnknownQuery: a request named a query parameter its route does not take. It answers 400
// /problems/unknown-query-parameter with one field error per unknown name, so that a misspelt or
// unsupported filter (?ordered=false) is refused rather than silently ignored.
var ErrUnknownQuery = errors.New("unknown query parameter")

// unknownQuery is ErrUnknownQuery with the names refused.
type unknownQuery map[string]string

func (u unknownQuery) Error() string                  { return ErrUnknownQuery.Error() + ": " + fieldList(u) }
func (u unknownQuery) Unwrap() error                  { return ErrUnknownQuery }
func (u unknownQuery) FieldErrors() map[string]string { return u }

// Query is the one way a route declares its query parameters: a middleware, given to the route
// (g.GET(path, handler, problem.Query("status", "limit", "after"))), that refuses a request naming
// any other parameter with ErrUnknownQuery before the handler runs. Query() with no names takes
// none. Names are matched exactly (query parameters are case-sensitive).
func Query(names ...string) echo.MiddlewareFunc {
	allowed := make(map[string]bool, len(names))
	for _, n := range names {
		allowed[n] = true
	}
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	takes := "this route takes no query parameters"
	if len(sorted) > 0 {
		takes = "this route takes " + strings.Join(sorted, ", ")
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			var unknown unknownQuery
			for name := range c.QueryParams() {
				if !allowed[name] {
					if unknown == nil {
						unknown = unknownQuery{}
					}
					unknown[name] = "unknown query parameter; " + takes
				}
			}
			if unknown != nil {
				return unknown
			}
			return next(c)
		}
	}
}
