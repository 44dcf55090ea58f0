package main

import (
	"encoding/json"
	"errors"
	"fmt"
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
		if f := nulField(reflect.ValueOf(v), ""); f != "" {
			return problem.Invalid(map[string]string{f: "a NUL character is not allowed"})
		}
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

// nulField returns the JSON name of the first string in v (a decoded request body) that holds a NUL
// character, or "" when none does. PostgreSQL cannot store NUL in text, and no field of the API has a
// use for it, so such a body is refused as invalid rather than failing in the store.
func nulField(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return nulField(v.Elem(), path)
		}
	case reflect.String:
		if strings.ContainsRune(v.String(), 0) {
			return path
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if f := nulField(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); f != "" {
				return f
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			if f := nulField(iter.Value(), joinField(path, fmt.Sprint(iter.Key()))); f != "" {
				return f
			}
			if iter.Key().Kind() == reflect.String && strings.ContainsRune(iter.Key().String(), 0) {
				return path
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if name == "-" || !t.Field(i).IsExported() {
				continue
			}
			if name == "" {
				name = t.Field(i).Name
			}
			if f := nulField(v.Field(i), joinField(path, name)); f != "" {
				return f
			}
		}
	}
	return ""
}

func joinField(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
