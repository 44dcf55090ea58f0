// Package web serves ordercast's pages to browsers: logging in and out, the retailer's phone ordering
// page and the API documentation, in Chinese (zh-CN) by default with a switch to English.
//
// Pages are a client of the JSON API, never a second path to the stores: a page handler asks the
// server's own API in-process (Pages.api), with the bearer token the browser's session cookie holds,
// the browser's address (so that login throttling counts the browser) and, for an order, the
// Idempotency-Key the form carries. What a page shows is what the API answered.
//
// A page is one template under templates/ (defining "title" and "content", rendered inside
// layout.html) and one handler that fills its data and calls Pages.render. Assets under static/ are
// embedded in the binary and served under /static/ with a content hash in their URL.
package web

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

//go:embed templates static
var files embed.FS

// Pages serves the web pages.
type Pages struct {
	server http.Handler // the server itself: pages call the JSON API through it
	log    *slog.Logger
	now    func() time.Time // the region's clock: in loc
	loc    *time.Location
	pages  map[string]*template.Template
	static map[string]string // asset name → its URL with a content hash
	doc    apiDoc            // the OpenAPI document, for the documentation page
}

// New returns the pages, asking api (the server's own handler, with the /api/v1 routes) for what
// they show; openAPI is the API's OpenAPI document, for the documentation page. loc is the region's
// time zone (serve's -timezone; UTC when nil): the pages' today, this week and times are its; now is the clock
// (time.Now outside tests).
func New(api http.Handler, openAPI []byte, log *slog.Logger, now func() time.Time, loc *time.Location) (*Pages, error) {
	doc, err := parseAPIDoc(openAPI)
	if err != nil {
		return nil, err
	}
	if loc == nil {
		loc = time.UTC
	}
	p := &Pages{server: api, log: log, now: func() time.Time { return now().In(loc) }, loc: loc, pages: map[string]*template.Template{}, static: map[string]string{}, doc: doc}
	if err := fs.WalkDir(files, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		rel := strings.TrimPrefix(name, "static/")
		p.static[rel] = "/static/" + rel + "?v=" + hex.EncodeToString(sum[:6])
		return nil
	}); err != nil {
		return nil, fmt.Errorf("web: read assets: %w", err)
	}
	funcs := template.FuncMap{
		"money":   money,
		"cartons": wholeCartons,
		"asset":   func(name string) string { return p.static[name] },
		"deref":   func(n *int) int { return *n },
	}
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		base := path.Base(name)
		if base == "layout.html" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", name)
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", base, err)
		}
		p.pages[strings.TrimSuffix(base, ".html")] = t
	}
	return p, nil
}

// Register adds the pages' routes to e. Their middleware goes on each route, not on a group: a
// group with the root prefix would also catch the paths no route matches, which answer the API's 404.
func (p *Pages) Register(e *echo.Echo) {
	e.GET("/static/*", p.asset)
	mw := []echo.MiddlewareFunc{p.errorPage, middleware.BodyLimit("64K"), p.csrf}
	e.GET("/", p.home, mw...)
	e.GET("/login", p.loginPage, mw...)
	e.POST("/login", p.login, mw...)
	e.POST("/logout", p.logout, mw...)
	e.POST("/lang", p.setLang, mw...)
	e.GET("/retailer", p.retailerPage, mw...)
	e.POST("/retailer/order", p.placeOrder, mw...)
	e.POST("/retailer/receipt", p.receipt, mw...)
	e.GET("/docs/api", p.apiDocs, mw...)
	p.registerSupply(e, mw)
	p.registerPlanner(e, mw)
	p.registerManager(e, mw)
}

// errorPage answers a page's failure with a page, not JSON: the status of an *echo.HTTPError (a form
// over the size limit), else 500; the error is logged.
func (p *Pages) errorPage(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if err == nil || c.Response().Committed {
			return err
		}
		status := http.StatusInternalServerError
		var he *echo.HTTPError
		if errors.As(err, &he) {
			status = he.Code
		}
		p.log.Error("page failed", "route", c.Path(), "status", status, "err", err)
		return p.render(c, status, "error", nil, errorData{Key: "error.server"})
	}
}

// asset serves an embedded file; its URL carries a content hash, so browsers may keep it for a year.
func (p *Pages) asset(c echo.Context) error {
	name := path.Clean("/" + c.Param("*"))[1:]
	b, err := files.ReadFile("static/" + name)
	if err != nil {
		return echo.ErrNotFound
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	ct := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
		".svg": "image/svg+xml"}[path.Ext(name)]
	if ct == "" {
		ct = http.DetectContentType(b)
	}
	return c.Blob(http.StatusOK, ct, b)
}

// view is what every page's template gets: the page's own data in Data.
type view struct {
	L    Lang
	CSRF string
	User *user  // nil before logging in
	Path string // of the page, for the language switch to come back to
	Data any
}

// render writes page name with status.
func (p *Pages) render(c echo.Context, status int, name string, u *user, data any) error {
	t, ok := p.pages[name]
	if !ok {
		return fmt.Errorf("web: no page %q", name)
	}
	var buf bytes.Buffer
	l := langOf(c)
	l.loc = p.loc
	v := view{L: l, CSRF: csrfToken(c), User: u, Path: c.Request().URL.RequestURI(), Data: data}
	if err := t.Execute(&buf, v); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	return c.HTMLBlob(status, buf.Bytes())
}

// wholeCartons formats a warehouse's quantity of cartons (an int or a float64) as people count
// them: whole, with thousands grouped ("24,016"). The API keeps its decimals; the supply pages round
// them.
func wholeCartons(n any) string {
	var v int64
	switch n := n.(type) {
	case int:
		v = int64(n)
	case float64:
		v = int64(math.Round(n))
	default:
		return fmt.Sprint(n)
	}
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	s := strconv.FormatInt(v, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return sign + s
}

// money formats cents as yuan: ¥1,234.50.
func money(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	yuan := strconv.FormatInt(cents/100, 10)
	for i := len(yuan) - 3; i > 0; i -= 3 {
		yuan = yuan[:i] + "," + yuan[i:]
	}
	return fmt.Sprintf("%s¥%s.%02d", sign, yuan, cents%100)
}

// apiProblem is an error answer of the API (application/problem+json).
type apiProblem struct {
	Status int    `json:"status"`
	Type   string `json:"type"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Errors []struct {
		Field  string `json:"field"`
		Detail string `json:"detail"`
	} `json:"errors"`
	RetryAfter string `json:"-"`
}

// Is reports whether the problem is of type slug (/problems/<slug>).
func (a *apiProblem) Is(slug string) bool { return a != nil && a.Type == "/problems/"+slug }

// call is one request of a page to the JSON API.
type call struct {
	method, path string
	token        string            // the session's bearer token; "" for none
	body         any               // sent as JSON when not nil
	header       map[string]string // extra headers (Idempotency-Key)
}

// api sends the call to the server's own API in-process, as the browser's request (its address and
// forwarding headers, so that the API's login throttling counts the browser), and decodes a 2xx
// answer into out. A 4xx or 5xx answer is returned as an *apiProblem; err is for failures to call.
func (p *Pages) api(c echo.Context, k call, out any) (int, *apiProblem, error) {
	rec, err := p.exchange(c, k)
	if err != nil {
		return 0, nil, err
	}
	if rec.status >= 400 {
		prob := &apiProblem{Status: rec.status}
		if err := json.Unmarshal(rec.body.Bytes(), prob); err != nil {
			return rec.status, nil, fmt.Errorf("web: %s %s answered %d: %s", k.method, k.path, rec.status, rec.body.String())
		}
		prob.Status, prob.RetryAfter = rec.status, rec.header.Get("Retry-After")
		return rec.status, prob, nil
	}
	if out != nil && rec.body.Len() > 0 {
		if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
			return rec.status, nil, fmt.Errorf("web: decode %s %s: %w", k.method, k.path, err)
		}
	}
	return rec.status, nil, nil
}

// exchange sends the call to the server's own API in-process, as the browser's request, and returns
// the answer as it came (an export's body, say).
func (p *Pages) exchange(c echo.Context, k call) (*recorder, error) {
	var body io.Reader = http.NoBody
	if k.body != nil {
		b, err := json.Marshal(k.body)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	from := c.Request()
	req, err := http.NewRequestWithContext(from.Context(), k.method, "/api/v1"+k.path, body)
	if err != nil {
		return nil, err
	}
	req.RemoteAddr = from.RemoteAddr
	req.TLS = from.TLS
	for _, h := range []string{"X-Forwarded-For", "X-Real-Ip", "X-Forwarded-Proto", "User-Agent", echo.HeaderXRequestID} {
		if v := from.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	if k.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if k.token != "" {
		req.Header.Set("Authorization", "Bearer "+k.token)
	}
	for name, v := range k.header {
		req.Header.Set(name, v)
	}
	rec := &recorder{header: http.Header{}}
	p.server.ServeHTTP(rec, req)
	return rec, nil
}

// recorder is the response writer of an in-process API call.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

// newKey returns a fresh Idempotency-Key for a form: a double submit of the form sends the same key.
func newKey() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
