package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progress draws a one-line progress bar on a terminal and stays silent anywhere else (a pipe, a file,
// CI), so that long commands can report freely. It is safe for concurrent use.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	label    string
	unit     string
	total    int64 // 0 when unknown
	done     int64
	start    time.Time
	lastDraw time.Time
}

// newProgress returns a progress bar on w, drawn only when w is a terminal.
func newProgress(w io.Writer, label, unit string, total int64) *progress {
	if !isTerminal(w) {
		w = nil
	}
	return &progress{w: w, label: label, unit: unit, total: total, start: time.Now()}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Add records n more units done and redraws at most ten times a second.
func (p *progress) Add(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if p.w == nil || time.Since(p.lastDraw) < 100*time.Millisecond {
		return
	}
	p.draw()
}

// Finish draws the final state and ends the line.
func (p *progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w == nil {
		return
	}
	p.draw()
	fmt.Fprintln(p.w)
}

func (p *progress) draw() {
	p.lastDraw = time.Now()
	elapsed := time.Since(p.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.done) / elapsed
	}
	if p.total <= 0 {
		fmt.Fprintf(p.w, "\r%s: %d %s (%.0f/s)   ", p.label, p.done, p.unit, rate)
		return
	}
	const width = 30
	frac := min(float64(p.done)/float64(p.total), 1)
	filled := int(frac * width)
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = '.'
		if i < filled {
			bar[i] = '#'
		}
	}
	fmt.Fprintf(p.w, "\r%s [%s] %3.0f%% %d/%d %s (%.0f/s)   ", p.label, bar, frac*100, p.done, p.total, p.unit, rate)
}
