package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// The pages' tests answer the API calls from fakes; contractAPI holds every fake's successful answer
// to the API's document, so that a page is tested against what the API can send.

var fakeContract = sync.OnceValues(func() (routers.Router, error) {
	raw, err := os.ReadFile("../openapi.json")
	if err != nil {
		return nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		return nil, err
	}
	doc.Servers = nil
	return gorillamux.NewRouter(doc)
})

// beyondContractHeader marks a fake's answer as outside the API's document on purpose (a newer API's
// value, say, to test how a page bears it); contractAPI removes it and does not validate the answer.
const beyondContractHeader = "X-Fake-Beyond-Contract"

// outsideContract wraps a fake whose answers are outside the API's document on purpose.
func outsideContract(api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(beyondContractHeader, "1")
		api.ServeHTTP(w, r)
	})
}

// contractAPI wraps a fake API: each 2xx JSON answer must be valid for its operation.
func contractAPI(t *testing.T, api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, r)
		outside := rec.Header().Get(beyondContractHeader) != ""
		rec.Header().Del(beyondContractHeader)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		if outside || rec.Code < 200 || rec.Code > 299 || rec.Body.Len() == 0 {
			return
		}
		router, err := fakeContract()
		if err != nil {
			t.Errorf("load openapi.json: %v", err)
			return
		}
		req := r.Clone(context.Background())
		req.URL.Path = strings.TrimPrefix(req.URL.Path, "/api/v1")
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Errorf("fake API answered %s %s, which the API's document has no route for: %v", r.Method, r.URL.Path, err)
			return
		}
		header := rec.Header().Clone()
		if ct := header.Get("Content-Type"); ct == "" || strings.HasPrefix(ct, "text/plain") {
			header.Set("Content-Type", "application/json") // the fakes write JSON without saying so
		}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
			Status: rec.Code, Header: header, Body: io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
			Options: &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true},
		}
		for _, err := range beyondContract(openapi3filter.ValidateResponse(context.Background(), in)) {
			t.Errorf("fake API's answer to %s %s does not follow the API's document: %v", r.Method, r.URL.Path, err)
		}
	})
}

// beyondContract returns the schema errors of a response's validation that say a fake sends what the
// API never would: a property the document does not have, a value of another type or outside its
// enumeration. A property the document requires and the fake leaves out is no drift (the pages must
// bear a field they do not read), so those are dropped.
func beyondContract(err error) []error {
	if err == nil {
		return nil
	}
	var out []error
	var visit func(err error)
	visit = func(err error) {
		var multi openapi3.MultiError
		if errors.As(err, &multi) {
			for _, e := range multi {
				visit(e)
			}
			return
		}
		var se *openapi3.SchemaError
		if errors.As(err, &se) {
			if se.SchemaField == "required" {
				return
			}
			out = append(out, fmt.Errorf("at %s: %s", strings.Join(se.JSONPointer(), "/"), se.Reason))
			return
		}
		out = append(out, err)
	}
	var re *openapi3filter.ResponseError
	if errors.As(err, &re) && re.Err != nil {
		visit(re.Err)
	} else {
		visit(err)
	}
	return out
}
