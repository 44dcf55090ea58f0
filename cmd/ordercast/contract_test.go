package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// The API tests' HTTP clients send every request through contractTransport, which checks each exchange
// with /api/v1 against openapi.json: the request against the operation's parameters, security and
// body, the response against the statuses the operation documents and their schemas. A mismatch fails
// the test that made the call. TestMain then fails the run when an operation of the document was never
// answered with a validated success.

// apiPrefix is where the document's paths live on the server (its servers entry).
const apiPrefix = "/api/v1"

// contract is openapi.json loaded for validation, once per test binary.
var contract = sync.OnceValues(func() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openAPIDocument)
	if err != nil {
		return nil, fmt.Errorf("load openapi.json: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("openapi.json is not a valid OpenAPI document: %w", err)
	}
	return doc, nil
})

// contractRouter finds the operation of a request whose path has apiPrefix cut off: it routes on a copy
// of the document without servers, so that any test server's address matches.
var contractRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := contract()
	if err != nil {
		return nil, err
	}
	bare := *doc
	bare.Servers = nil
	return gorillamux.NewRouter(&bare)
})

// terse leaves the schema and the value out of validation errors: the field and the reason suffice.
var terse = []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()}

// invalidRequestKey marks, in a request's context, a request that is deliberately outside the contract.
type invalidRequestKey struct{}

// deliberatelyInvalid marks req as breaking the contract on purpose (a malformed body, a missing token,
// an unknown route) to test how the server refuses it: its response is still validated, the request is
// not, and it must indeed fail request validation (so that the mark cannot go stale).
func deliberatelyInvalid(req *http.Request) *http.Request {
	return req.WithContext(context.WithValue(req.Context(), invalidRequestKey{}, true))
}

// contractTransport is the http.RoundTripper of the API tests' clients.
type contractTransport struct {
	t    testing.TB
	base http.RoundTripper // nil: http.DefaultTransport
}

// contractClient returns an HTTP client whose exchanges with the API are validated, failing t.
func contractClient(t testing.TB) *http.Client {
	return &http.Client{Timeout: 20 * time.Second, Transport: contractTransport{t: t}}
}

func (c contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	base := c.base
	if base == nil {
		base = http.DefaultTransport
	}
	res, err := base.RoundTrip(req)
	if err != nil {
		return res, err
	}
	resBody, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(resBody))
	op, err := checkExchange(req, reqBody, res, resBody)
	if op != "" {
		invalid, _ := req.Context().Value(invalidRequestKey{}).(bool)
		exchanges.record(op, res.StatusCode, invalid, err == nil)
	}
	if err != nil {
		c.t.Errorf("contract: %s %s = %d: %v\nresponse body: %.500s", req.Method, req.URL.RequestURI(), res.StatusCode, err, resBody)
	}
	return res, nil
}

// checkExchange validates one exchange with the API. It returns the operation (METHOD /path of the
// document), "(no operation)" for an API path the document does not have, and "" outside the API.
func checkExchange(req *http.Request, reqBody []byte, res *http.Response, resBody []byte) (op string, err error) {
	doc, err := contract()
	if err != nil {
		return noOperation, err
	}
	path, ok := strings.CutPrefix(req.URL.Path, apiPrefix)
	if !ok || !strings.HasPrefix(path, "/") {
		// /healthz, /readyz, /metrics: outside the document, but an error there is a Problem too
		// (/readyz's 503 names the stores).
		if res.StatusCode >= 400 {
			return "", checkProblem(doc, res, resBody)
		}
		return "", nil
	}
	router, err := contractRouter()
	if err != nil {
		return noOperation, err
	}
	invalid, _ := req.Context().Value(invalidRequestKey{}).(bool)
	routed := req.Clone(req.Context())
	routed.URL.Path, routed.URL.RawPath = path, ""
	routed.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, pathParams, err := router.FindRoute(routed)
	if err != nil {
		// No operation: the request is one a test sends on purpose, answered by a problem.
		if !invalid {
			return noOperation, fmt.Errorf("no operation in openapi.json: %v", err)
		}
		if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusMethodNotAllowed {
			return noOperation, fmt.Errorf("a request no operation matches was answered %d; want 404 or 405", res.StatusCode)
		}
		return noOperation, checkProblem(doc, res, resBody)
	}
	op = strings.ToUpper(route.Method) + " " + route.Path
	in := &openapi3filter.RequestValidationInput{
		Request: routed, PathParams: pathParams, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: bearerPresent, MultiError: true, SchemaValidationOptions: terse},
	}
	reqErr := openapi3filter.ValidateRequest(req.Context(), in)
	switch {
	case invalid && reqErr == nil:
		return op, errors.New("the request is marked deliberately invalid, yet it conforms to openapi.json: drop the mark")
	case !invalid && reqErr != nil:
		return op, fmt.Errorf("request does not conform to %s in openapi.json: %v", op, reqErr)
	}
	// The request's body was consumed by its validation; the response's needs none of it.
	resErr := openapi3filter.ValidateResponse(req.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 res.StatusCode,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(resBody)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, SchemaValidationOptions: terse},
	})
	if resErr != nil {
		return op, fmt.Errorf("response does not conform to %s in openapi.json: %v", op, resErr)
	}
	return op, nil
}

// noOperation is how checkExchange names an API path the document does not have.
const noOperation = "(no operation)"

// bearerPresent is the request check of the bearer security scheme: an Authorization: Bearer header
// with a token. Whether the token is live is the server's business (401 is documented).
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	scheme, token, ok := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return errors.New("no Authorization: Bearer <token> header")
	}
	return nil
}

// checkProblem validates a response that no operation documents against the Problem schema.
func checkProblem(doc *openapi3.T, res *http.Response, body []byte) error {
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		return fmt.Errorf("Content-Type %q; want application/problem+json", ct)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("problem body: %w", err)
	}
	if err := doc.Components.Schemas["Problem"].Value.VisitJSON(v, terse...); err != nil {
		return fmt.Errorf("problem body does not conform to the Problem schema: %w", err)
	}
	return nil
}

// exchangeLog counts the exchanges validated across the tests of the package, by operation.
type exchangeLog struct {
	mu        sync.Mutex
	total     int            // exchanges with /api/v1
	validated int            // of those, conforming (a deliberately invalid request's response included)
	invalid   int            // deliberately invalid requests
	successes map[string]int // operation → validated responses with a 2xx status
}

var exchanges = &exchangeLog{successes: map[string]int{}}

func (l *exchangeLog) record(op string, status int, invalid, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total++
	if invalid {
		l.invalid++
	}
	if ok {
		l.validated++
		if status >= 200 && status < 300 && !invalid {
			l.successes[op]++
		}
	}
}

// uncovered returns the operations of the document without a validated success, and how many there are.
func (l *exchangeLog) uncovered() (missing []string, operations int, err error) {
	doc, err := contract()
	if err != nil {
		return nil, 0, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			operations++
			if op := method + " " + path; l.successes[op] == 0 {
				missing = append(missing, op)
			}
		}
	}
	sort.Strings(missing)
	return missing, operations, nil
}

// TestMain runs the tests, then fails the run when an operation of openapi.json was never answered
// with a validated success. The check needs the whole suite: it is skipped under -short (the API tests
// skip without the stores) and when -run or -skip picks tests.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	missing, operations, err := exchanges.uncovered()
	if err != nil {
		fmt.Fprintf(os.Stderr, "contract: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("contract: %d exchanges with the API validated of %d (%d deliberately invalid requests); %d of %d operations answered with a validated success\n",
		exchanges.validated, exchanges.total, exchanges.invalid, operations-len(missing), operations)
	partial := testing.Short() || flag.Lookup("test.run").Value.String() != "" || flag.Lookup("test.skip").Value.String() != ""
	if len(missing) > 0 && !partial {
		fmt.Fprintf(os.Stderr, "contract: FAIL: no test made a request to these operations of openapi.json that was answered with a validated 2xx:\n\t%s\n",
			strings.Join(missing, "\n\t"))
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// The validation itself: exchanges that break the document in each way it can be broken are caught,
// with the reason, and conforming ones pass. No server is needed: the exchanges are made up.
func TestContractCatchesDrift(t *testing.T) {
	const me = `{"user":{"username":"retailer1","role":"retailer","outlet_id":7}}`
	problem := func(extra string) string {
		return `{"type":"/problems/unauthenticated","title":"Unauthorized","status":401` + extra + `}`
	}
	tests := []struct {
		name, method, path, token string
		invalid                   bool
		status                    int
		contentType, body         string
		wantErr                   string // "" for a conforming exchange
	}{
		{"conforming success", "GET", "/api/v1/me", "tok", false, 200, "application/json", me, ""},
		{"conforming problem", "GET", "/api/v1/me", "tok", false, 401, "application/problem+json",
			problem(`,"detail":"expired","errors":[{"field":"f","detail":"d"}]`), ""},
		{"outside the API", "GET", "/healthz", "", false, 200, "application/json", `{"status":"alive"}`, ""},
		{"readiness problem", "GET", "/readyz", "", false, 503, "application/problem+json",
			`{"type":"/problems/unavailable","title":"Service Unavailable","status":503,"stores":{"clickhouse":"unavailable","postgresql":"ok"}}`, ""},
		{"readiness problem with an extra field", "GET", "/readyz", "", false, 503, "application/problem+json",
			`{"type":"/problems/unavailable","title":"Service Unavailable","status":503,"store":"clickhouse"}`, `"store" is unsupported`},
		{"undocumented status", "GET", "/api/v1/me", "tok", false, 418, "application/problem+json", problem(""), "status is not supported"},
		{"missing required field", "GET", "/api/v1/me", "tok", false, 200, "application/json", `{"outlet":null}`, `property "user" is missing`},
		{"extra field in a closed shape", "GET", "/api/v1/me", "tok", false, 200, "application/json",
			`{"user":{"username":"u","role":"admin","password_hash":"x"}}`, `property "password_hash" is unsupported`},
		{"wrong type", "GET", "/api/v1/me", "tok", false, 200, "application/json", `{"user":{"username":"u","role":"admin","outlet_id":"7"}}`, "must be an integer"},
		{"problem with a wrong type", "GET", "/api/v1/me", "tok", false, 401, "application/problem+json",
			`{"type":"/problems/x","title":"t","status":"401"}`, "must be an integer"},
		{"problem with an extra field", "GET", "/api/v1/me", "tok", false, 401, "application/problem+json", problem(`,"trace":"x"`), `"trace" is unsupported`},
		{"problem as JSON", "GET", "/api/v1/me", "tok", false, 401, "application/json", problem(""), "Content-Type"},
		{"request without a token", "GET", "/api/v1/me", "", false, 401, "application/problem+json", problem(""), "security requirements failed"},
		{"deliberately invalid request", "GET", "/api/v1/me", "", true, 401, "application/problem+json", problem(""), ""},
		{"deliberately invalid request that conforms", "GET", "/api/v1/me", "tok", true, 200, "application/json", me, "drop the mark"},
		{"deliberately invalid request, bad response", "GET", "/api/v1/me", "", true, 401, "application/problem+json", `{"title":"x"}`, `property "type" is missing`},
		{"unknown route", "GET", "/api/v1/nothing-here", "tok", false, 404, "application/problem+json", problem(""), "no operation"},
		{"unknown route on purpose", "GET", "/api/v1/nothing-here", "tok", true, 404, "application/problem+json",
			`{"type":"/problems/not-found","title":"Not Found","status":404}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, "http://127.0.0.1:1"+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			if tt.invalid {
				req = deliberatelyInvalid(req)
			}
			res := &http.Response{StatusCode: tt.status, Header: http.Header{"Content-Type": {tt.contentType}}}
			_, err = checkExchange(req, nil, res, []byte(tt.body))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("checkExchange(%s %s = %d %s) = %v; want it to conform", tt.method, tt.path, tt.status, tt.body, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("checkExchange(%s %s = %d %s) = %v; want an error saying %q", tt.method, tt.path, tt.status, tt.body, err, tt.wantErr)
			}
		})
	}
}
