package retailer

import (
	"sync"
	"time"
)

// SessionCacheTTL is how long a Sessions trusts a session it has checked in the store without asking
// the store again. It bounds how late a revocation made elsewhere is honoured: a session revoked
// through another instance, or by `ordercast user passwd|disable`, or a user disabled, may still
// authenticate on an instance that checked it within this long before. A logout through the same
// Sessions ends the session at once. A session also may authenticate up to this long past its expiry.
const SessionCacheTTL = 10 * time.Second

// sessionCacheSize bounds how many sessions a Sessions remembers (about 200 bytes each).
const sessionCacheSize = 50_000

// sessionCache remembers the principals of sessions checked in the store, by token hash, each until
// a time. It is safe for concurrent use. When full, it drops what has expired, and everything if
// nothing has: a miss only costs a lookup in the store.
type sessionCache struct {
	ttl time.Duration
	max int

	mu      sync.Mutex
	entries map[[32]byte]cachedSession
}

type cachedSession struct {
	principal Principal
	until     time.Time
	ended     bool // logged out through this cache's Sessions: not to be remembered again until then
}

func newSessionCache(ttl time.Duration, size int) *sessionCache {
	return &sessionCache{ttl: ttl, max: size, entries: map[[32]byte]cachedSession{}}
}

// get returns the principal of the session whose token hashes to hash, if it was checked less than
// the cache's TTL before now.
func (c *sessionCache) get(hash [32]byte, now time.Time) (Principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[hash]
	if !ok || e.ended {
		return Principal{}, false
	}
	if !now.Before(e.until) {
		delete(c.entries, hash)
		return Principal{}, false
	}
	return e.principal, true
}

// put remembers p as the principal of the session whose token hashes to hash, checked at now.
func (c *sessionCache) put(hash [32]byte, p Principal, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[hash]
	if ok && e.ended && now.Before(e.until) {
		return // a check that began before the logout committed
	}
	if !ok && len(c.entries) >= c.max {
		for h, e := range c.entries {
			if !now.Before(e.until) {
				delete(c.entries, h)
			}
		}
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
	}
	c.entries[hash] = cachedSession{principal: p, until: now.Add(c.ttl)}
}

// end forgets the session whose token hashes to hash, logged out at now, and refuses to remember it
// for the cache's TTL, so that a check running alongside the logout cannot put it back.
func (c *sessionCache) end(hash [32]byte, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[hash] = cachedSession{until: now.Add(c.ttl), ended: true}
}
