package main

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// strictBinder is the server's echo.Binder: c.Bind decodes the JSON body alone (never path or query
// parameters into the request type), refusing fields the request type does not name, so that a body
// cannot set protected fields such as an outlet, a status, a price, a limit or a role.
type strictBinder struct{}

func (strictBinder) Bind(v any, c echo.Context) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("data after the JSON object")
	}
	if err == nil {
		return nil
	}
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return echo.ErrStatusRequestEntityTooLarge
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return invalidBody(strings.Trim(field, `"`), "not allowed in this request", err)
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return invalidBody(typeErr.Field, "want "+jsonKind(typeErr.Type), err)
	}
	if errors.Is(err, io.EOF) {
		err = errors.New("empty body: want a JSON object")
	}
	return &echo.HTTPError{Code: http.StatusBadRequest, Message: "malformed JSON: " + err.Error(), Internal: err}
}

// bodyFieldError is a request body with a field the request type refuses.
type bodyFieldError struct {
	field, detail string
	err           error
}

func (e bodyFieldError) Error() string                  { return e.field + ": " + e.detail }
func (e bodyFieldError) Unwrap() error                  { return e.err }
func (e bodyFieldError) ProblemType() string            { return "invalid-fields" }
func (e bodyFieldError) FieldErrors() map[string]string { return map[string]string{e.field: e.detail} }

func invalidBody(field, detail string, err error) error {
	return &echo.HTTPError{Code: http.StatusUnprocessableEntity, Message: "the request has invalid fields",
		Internal: bodyFieldError{field, detail, err}}
}
