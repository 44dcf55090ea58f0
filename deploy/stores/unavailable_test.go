package stores

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"
)

func TestConnectionLost(t *testing.T) {
	// A port nobody listens on: the dial is refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, refused := net.DialTimeout("tcp", addr, 2*time.Second)
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"refused dial", fmt.Errorf("connect: %w", refused), true},
		{"closed connection", fmt.Errorf("read: %w", net.ErrClosed), true},
		{"cancelled by the caller", fmt.Errorf("query: %w", context.Canceled), false},
		{"a server's answer", errors.New("syntax error at or near SELEC"), false},
		{"nil", nil, false},
	} {
		if got := ConnectionLost(tt.err); got != tt.want {
			t.Errorf("ConnectionLost(%s: %v) = %v; want %v", tt.name, tt.err, got, tt.want)
		}
	}
}
