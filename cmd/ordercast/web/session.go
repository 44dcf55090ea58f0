package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// Cookies of a browser. The session cookie holds the API's bearer token; scripts cannot read it
// (HttpOnly) and other sites' requests do not carry it except on top-level navigations (SameSite=Lax).
const (
	sessionCookie = "oc_session"
	csrfCookie    = "oc_csrf"
	langCookie    = "oc_lang"
	csrfField     = "_csrf"
)

// secure reports whether the browser reached the server over TLS (directly or through a proxy that
// says so), when cookies must be Secure.
func secure(c echo.Context) bool { return c.Scheme() == "https" }

// csrf is the double-submit check of every page route: a GET makes sure the browser holds a random
// token in a SameSite=Strict, HttpOnly cookie (pages put it into their forms); any other method must
// send the same token in the form field _csrf, or is refused with 403.
func (p *Pages) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token := ""
		if ck, err := c.Cookie(csrfCookie); err == nil && len(ck.Value) == 43 {
			token = ck.Value
		}
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead:
			if token == "" {
				b := make([]byte, 32)
				if _, err := rand.Read(b); err != nil {
					return err
				}
				token = base64.RawURLEncoding.EncodeToString(b)
				c.SetCookie(&http.Cookie{Name: csrfCookie, Value: token, Path: "/", HttpOnly: true,
					Secure: secure(c), SameSite: http.SameSiteStrictMode})
			}
		default:
			sent := c.FormValue(csrfField)
			if token == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(token)) != 1 {
				return p.render(c, http.StatusForbidden, "error", nil, errorData{Key: "error.csrf"})
			}
		}
		c.Set(csrfCookie, token)
		return next(c)
	}
}

func csrfToken(c echo.Context) string {
	s, _ := c.Get(csrfCookie).(string)
	return s
}

// user is the logged-in user as GET /api/v1/me describes it.
type user struct {
	Username string `json:"username"`
	Role     string `json:"role"`
	OutletID int64  `json:"outlet_id"`
	token    string
}

// profile is a retailer's outlet as GET /api/v1/me describes it.
type profile struct {
	ID           int64  `json:"id"`
	Licence      string `json:"licence"`
	Name         string `json:"name"`
	Area         string `json:"area"`
	Grade        int    `json:"grade"`
	OrderDay     string `json:"order_day"`
	ManagerName  string `json:"manager_name"`
	BalanceCents int64  `json:"balance_cents"`
	Status       string `json:"status"`
}

type me struct {
	User   user     `json:"user"`
	Outlet *profile `json:"outlet"`
}

// errLoggedOut means the browser has no live session: the page sends it to the login page.
var errLoggedOut = errors.New("web: not logged in")

// session asks the API who the session cookie's token belongs to.
func (p *Pages) session(c echo.Context) (me, error) {
	ck, err := c.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return me{}, errLoggedOut
	}
	var m me
	status, prob, err := p.api(c, call{method: "GET", path: "/me", token: ck.Value}, &m)
	switch {
	case err != nil:
		return me{}, err
	case status == http.StatusUnauthorized:
		return me{}, errLoggedOut
	case prob != nil:
		return me{}, fmt.Errorf("web: GET /me answered %d %s", prob.Status, prob.Detail)
	}
	m.User.token = ck.Value
	return m, nil
}

// toLogin redirects to the login page, to come back to the page asked for.
func toLogin(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.Path))
}

type loginData struct {
	Username string
	Next     string
	Error    string // a catalogue key
	Retry    string // seconds, for a throttled login
}

func (p *Pages) home(c echo.Context) error {
	m, err := p.session(c)
	if errors.Is(err, errLoggedOut) {
		return toLogin(c)
	}
	if err != nil {
		return err
	}
	if m.User.Role == "retailer" {
		return c.Redirect(http.StatusSeeOther, "/retailer")
	}
	if m.User.Role == "planner" {
		return c.Redirect(http.StatusSeeOther, "/planner")
	}
	if m.User.Role == "manager" {
		return c.Redirect(http.StatusSeeOther, "/manager")
	}
	return p.render(c, http.StatusOK, "home", &m.User, nil)
}

func (p *Pages) loginPage(c echo.Context) error {
	return p.render(c, http.StatusOK, "login", nil, loginData{Next: safeNext(c.QueryParam("next"))})
}

// safeNext keeps a redirect target on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/"
	}
	return next
}

// login logs in through POST /api/v1/sessions, throttling and all, and keeps the token in the
// session cookie.
func (p *Pages) login(c echo.Context) error {
	d := loginData{Username: strings.TrimSpace(c.FormValue("username")), Next: safeNext(c.FormValue("next"))}
	password := c.FormValue("password")
	if d.Username == "" || password == "" {
		d.Error = "login.missing"
		return p.render(c, http.StatusBadRequest, "login", nil, d)
	}
	var s struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	_, prob, err := p.api(c, call{method: "POST", path: "/sessions",
		body: map[string]string{"username": d.Username, "password": password}}, &s)
	if err != nil {
		return err
	}
	if prob != nil {
		switch prob.Status {
		case http.StatusUnauthorized:
			d.Error = "login.invalid"
		case http.StatusTooManyRequests:
			d.Error, d.Retry = "login.throttled", prob.RetryAfter
		case http.StatusServiceUnavailable:
			d.Error = "login.busy"
		default:
			d.Error = "login.missing"
		}
		return p.render(c, prob.Status, "login", nil, d)
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: s.Token, Path: "/", Expires: s.ExpiresAt,
		HttpOnly: true, Secure: secure(c), SameSite: http.SameSiteLaxMode})
	return c.Redirect(http.StatusSeeOther, d.Next)
}

// logout revokes the session (DELETE /api/v1/sessions/current) and forgets the cookie.
func (p *Pages) logout(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
		if _, _, err := p.api(c, call{method: "DELETE", path: "/sessions/current", token: ck.Value}, nil); err != nil {
			return err
		}
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: secure(c), SameSite: http.SameSiteLaxMode})
	return c.Redirect(http.StatusSeeOther, "/login")
}

// setLang keeps the language chosen (zh-CN or en) for a year and goes back to the page.
func (p *Pages) setLang(c echo.Context) error {
	lang := c.FormValue("lang")
	if _, ok := catalogue[lang]; !ok {
		lang = defaultLang
	}
	c.SetCookie(&http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		Secure: secure(c), SameSite: http.SameSiteLaxMode})
	return c.Redirect(http.StatusSeeOther, safeNext(c.FormValue("next")))
}

type errorData struct {
	Key string
}

// roleSession is the session of a page only some roles may open: others go home, the logged out to
// the login page (ok false: the answer is written).
func (p *Pages) roleSession(c echo.Context, roles ...string) (me, bool, error) {
	m, err := p.session(c)
	if errors.Is(err, errLoggedOut) {
		return m, false, toLogin(c)
	}
	if err != nil {
		return m, false, err
	}
	for _, r := range roles {
		if m.User.Role == r {
			return m, true, nil
		}
	}
	return m, false, c.Redirect(http.StatusSeeOther, "/")
}
