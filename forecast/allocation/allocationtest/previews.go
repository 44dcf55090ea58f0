// Package allocationtest holds what tests of the allocation planner's users share: an in-memory
// store of kept previews that behaves as the PostgreSQL one does.
package allocationtest

import (
	"context"
	"sync"
	"time"

	"github.com/ordercast/ordercast/forecast/allocation"
)

// Previews is an allocation.PreviewStore in memory: a reserved preview is pending until kept, and
// none is found once expired. The zero value is ready to use; it is safe for concurrent use (the
// planner keeps previews on its own goroutine).
type Previews struct {
	mu      sync.Mutex
	kept    map[string][]byte
	expires map[string]time.Time
}

var _ allocation.PreviewStore = (*Previews)(nil)

// ReservePreview records id as pending until expires.
func (p *Previews) ReservePreview(_ context.Context, id string, _ time.Time, expires time.Time) error {
	p.set(id, nil, expires)
	return nil
}

// KeepPreview keeps body under id until expires.
func (p *Previews) KeepPreview(_ context.Context, id string, _ time.Time, body []byte, expires time.Time) error {
	p.set(id, body, expires)
	return nil
}

func (p *Previews) set(id string, body []byte, expires time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.kept == nil {
		p.kept, p.expires = map[string][]byte{}, map[string]time.Time{}
	}
	p.kept[id], p.expires[id] = body, expires
}

// DropPreview forgets id.
func (p *Previews) DropPreview(_ context.Context, id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.kept, id)
	return nil
}

// Preview returns the body kept under id: allocation.ErrNoPreview when there is none or it expired
// by now, allocation.ErrPreviewPending while it is reserved and not yet kept.
func (p *Previews) Preview(_ context.Context, id string, now time.Time) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	body, ok := p.kept[id]
	switch {
	case !ok || !now.Before(p.expires[id]):
		return nil, allocation.ErrNoPreview
	case body == nil:
		return nil, allocation.ErrPreviewPending
	}
	return body, nil
}
