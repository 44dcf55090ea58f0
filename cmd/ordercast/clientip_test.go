package main

import (
	"net/http/httptest"
	"testing"
)

// Only a trusted peer's X-Forwarded-For is believed, and then only its right-most untrusted address;
// loopback and private peers are not trusted unless configured.
func TestServeConfigClientIP(t *testing.T) {
	tests := []struct {
		name, trusted, peer, xff, want string
	}{
		{"no proxies: the peer", "", "10.0.0.5:1234", "1.2.3.4", "10.0.0.5"},
		{"untrusted peer: the peer", "10.0.0.0/24", "192.0.2.9:1234", "1.2.3.4", "192.0.2.9"},
		{"loopback not trusted by default", "10.0.0.0/24", "127.0.0.1:1234", "1.2.3.4", "127.0.0.1"},
		{"trusted peer: right-most untrusted", "10.0.0.0/24, 10.0.1.1/32", "10.0.0.5:1234", "6.6.6.6, 1.2.3.4, 10.0.1.1", "1.2.3.4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			extract, err := serveConfig{TrustedProxies: tt.trusted}.clientIP()
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("POST", "/api/v1/sessions", nil)
			req.RemoteAddr = tt.peer
			req.Header.Set("X-Forwarded-For", tt.xff)
			if got := extract(req); got != tt.want {
				t.Errorf("clientIP(%s, peer %s, XFF %q) = %s; want %s", tt.trusted, tt.peer, tt.xff, got, tt.want)
			}
		})
	}
	if _, err := (serveConfig{TrustedProxies: "10.0.0.0/33"}).clientIP(); err == nil {
		t.Errorf("clientIP(10.0.0.0/33) = nil error; want one")
	}
}
