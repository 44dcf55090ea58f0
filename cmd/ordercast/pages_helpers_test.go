package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// What the page benchmarks (BenchmarkManagerPages, BenchmarkPlannerPages) and the page tests share:
// a browser's session, a page's body, and the median of a page's requests.

// pageSession logs username in through the login page, as a browser does, without following the
// redirect to the user's home page (it would be the first request of a page measured after).
func pageSession(tb testing.TB, base, username string) *http.Client {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 5 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(base + "/login")
	if err != nil {
		tb.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := regexp.MustCompile(`name="_csrf" value="([^"]*)"`).FindSubmatch(page)
	if m == nil {
		tb.Fatalf("the login page has no CSRF field:\n%.300s", page)
	}
	res, err = c.PostForm(base+"/login", url.Values{"_csrf": {string(m[1])}, "username": {username}, "password": {demoPassword}})
	if err != nil {
		tb.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode/100 != 3 || strings.HasPrefix(loc, "/login") {
		tb.Fatalf("%s could not log in: %d to %q", username, res.StatusCode, loc)
	}
	return c
}

// pageBody GETs a page and returns its body, failing unless it answers 200 and holds every one of
// holds.
func pageBody(tb testing.TB, c *http.Client, u string, holds ...string) []byte {
	tb.Helper()
	res, err := c.Get(u)
	if err != nil {
		tb.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s = %d, %v (to %s); want 200:\n%.500s", u, res.StatusCode, err, res.Header.Get("Location"), body)
	}
	for _, h := range holds {
		if !strings.Contains(string(body), h) {
			tb.Fatalf("GET %s lacks %s:\n%.500s", u, h, body)
		}
	}
	return body
}

// benchPage times a page's requests, one per iteration of b, and reports their median as
// ms-median/op, and the CPU time the whole process (the server in it, its warmers included) spent
// per request as cpu-ms/op: steadier than wall time on a loaded machine.
func benchPage(b *testing.B, c *http.Client, u string, holds ...string) {
	var ms []float64
	cpu := processCPU()
	for b.Loop() {
		start := time.Now()
		pageBody(b, c, u, holds...)
		ms = append(ms, float64(time.Since(start).Microseconds())/1000)
	}
	cpu = processCPU() - cpu
	slices.Sort(ms)
	b.ReportMetric(ms[len(ms)/2], "ms-median/op")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(len(ms)), "cpu-ms/op")
}
