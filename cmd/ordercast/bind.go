package main

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
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
		return err // 413
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return problem.Invalid(map[string]string{strings.Trim(field, `"`): "not allowed in this request"})
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return problem.Invalid(map[string]string{field: "want " + jsonKind(typeErr.Type)})
	}
	if errors.Is(err, io.EOF) {
		err = errors.New("empty body: want a JSON object")
	}
	return &echo.HTTPError{Code: http.StatusBadRequest, Message: "malformed JSON: " + err.Error(), Internal: err}
}
