package main

import (
	"runtime/debug"
	"testing"
)

// serve sets the collector's target to serveGCPercent when GOGC is not in its environment, and leaves
// the runtime's (Go read GOGC itself) when it is.
func TestServeGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)

	if got := serveGC(func(string) string { return "" }); got != serveGCPercent {
		t.Errorf("serveGC without GOGC = %d; want %d", got, serveGCPercent)
	}
	if now := debug.SetGCPercent(150); now != serveGCPercent {
		t.Errorf("the runtime's target without GOGC = %d; want %d", now, serveGCPercent)
	}
	gogc := func(k string) string {
		if k == "GOGC" {
			return "150"
		}
		return ""
	}
	if got := serveGC(gogc); got != 150 {
		t.Errorf("serveGC with GOGC=150 (the runtime at 150) = %d; want 150", got)
	}
	if now := debug.SetGCPercent(100); now != 150 {
		t.Errorf("the runtime's target with GOGC set = %d; want it left at 150", now)
	}
}
