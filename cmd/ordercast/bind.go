package main

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
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

// jsonKind names what a Go type takes in JSON, for the API's users.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "an object"
}
