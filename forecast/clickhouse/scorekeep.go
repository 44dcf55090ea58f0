package clickhouse

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ordercast/ordercast/forecast"
)

// The accuracy page reads four levels of a month's latest scoring, and its weekly chart the
// company's level again for the run it names. A scoring is written once a month (or again by hand),
// every row of it with the same scored_at, and always with a company row: so a level read once can be
// served again while the latest scored_at of the month's company row, one granule of
// accuracy_scores, is the one it was read under. That check is made by every reader, so a scoring
// written by any instance (or `ordercast score`) shows to the next reader, as when every read went to
// the table.

type scoresKey struct {
	month   time.Time
	dataset string
	against forecast.Against
	level   forecast.ScoreLevel
}

// keptScores is one level of a scoring, or its read while the flight is under way.
type keptScores struct {
	*flight[forecast.ScoreSet]
	version time.Time // the latest scored_at of the month when read (the set's own when later); under scoresKeeper.mu
}

// scoresRead reads one level of a month's latest scoring from the table (Store.readScores).
type scoresRead func(ctx context.Context, q forecast.ScoreQuery) (forecast.ScoreSet, error)

// scoredVersion returns the latest scored_at of the month's scorings of dataset against against,
// and false when it was never scored (Store.scoredAt).
type scoredVersion func(ctx context.Context, month time.Time, dataset string, against forecast.Against) (time.Time, bool, error)

// scoresKeeper keeps whole levels of scorings (Scores without Keys) while they are the latest.
// Readers of a level being read under the same scoring wait for that read; a read that fails keeps
// nothing, and the next reader reads again.
type scoresKeeper struct {
	on      bool
	version scoredVersion
	read    scoresRead

	mu   sync.Mutex
	sets map[scoresKey]*keptScores

	requested, warmed atomic.Uint64 // levels read for a reader (shared reads counted once), and by WarmScores
}

// scoresReadTimeout bounds one read of a level begun by a reader: it does not end with the request
// that began it, since others may wait for it.
const scoresReadTimeout = 2 * time.Minute

// KeepScores makes s keep each level of a scoring that Scores reads without keys while it is the
// month's latest (checked on every read with one small query), and returns s. Call it before s is
// used.
func (s *Store) KeepScores() *Store {
	s.scores.on, s.scores.version, s.scores.read = true, s.scoredAt, s.readScores
	return s
}

// ScoreComputations returns how many levels of scorings were read from the table for a reader
// (reads shared by readers counted once) and by WarmScores, since s was made.
func (s *Store) ScoreComputations() (requested, warmed uint64) {
	return s.scores.requested.Load(), s.scores.warmed.Load()
}

// WarmScores reads the levels of the month's latest scoring of dataset against against that are not
// kept under it, and keeps them, so that the accuracy page's first reader after a start (or after a
// scoring) does not wait for them. It does nothing unless s keeps scores (KeepScores) or when the
// month was not scored.
func (s *Store) WarmScores(ctx context.Context, month time.Time, dataset string, against forecast.Against, levels []forecast.ScoreLevel) error {
	if !s.scores.on {
		return nil
	}
	for _, level := range levels {
		q := forecast.ScoreQuery{Month: monthStart(month), Dataset: dataset, Against: against, Level: level}
		if _, err := s.scores.get(ctx, q, true); err != nil {
			return fmt.Errorf("clickhouse: warm accuracy scores: %w", err)
		}
	}
	return nil
}

// get answers Scores for q (defaults filled in, no keys) from the kept level when it is the
// month's latest scoring, else reads it, sharing the read with the readers that wait for the same.
func (k *scoresKeeper) get(ctx context.Context, q forecast.ScoreQuery, warm bool) (forecast.ScoreSet, error) {
	version, scored, err := k.version(ctx, q.Month, q.Dataset, q.Against)
	if err != nil {
		return forecast.ScoreSet{}, err
	}
	switch {
	case !scored && warm:
		return forecast.ScoreSet{}, nil
	case !scored:
		return k.read(ctx, q) // never scored: its answer (forecast.ErrNoScores) is not kept
	}
	key := scoresKey{q.Month, q.Dataset, q.Against, q.Level}
	for {
		k.mu.Lock()
		kept := k.sets[key]
		mine := kept == nil || kept.version.Before(version)
		if mine {
			kept = &keptScores{flight: newFlight[forecast.ScoreSet](), version: version}
			if k.sets == nil {
				k.sets = map[scoresKey]*keptScores{}
			}
			k.sets[key] = kept
		}
		k.mu.Unlock()
		if mine {
			if warm {
				k.warmed.Add(1)
			} else {
				k.requested.Add(1)
			}
			set, err := k.readFor(ctx, q, warm)
			k.mu.Lock()
			if err != nil && k.sets[key] == kept {
				delete(k.sets, key)
			}
			if err == nil && set.ScoredAt.After(kept.version) { // a scoring written since the check
				kept.version = set.ScoredAt
			}
			k.mu.Unlock()
			kept.finish(set, err)
			if warm {
				return forecast.ScoreSet{}, err
			}
		} else if warm {
			return forecast.ScoreSet{}, nil // kept, or being read for a reader
		}
		set, again, err := kept.wait(ctx, mine)
		switch {
		case err != nil:
			return forecast.ScoreSet{}, err
		case again:
			continue // read here
		}
		set.Scores = slices.Clone(set.Scores)
		return set, nil
	}
}

// readFor reads q from the table. The warmer's read ends with the warmer (as the server stops); a
// reader's outlives its request, since others may be waiting for it.
func (k *scoresKeeper) readFor(ctx context.Context, q forecast.ScoreQuery, warm bool) (forecast.ScoreSet, error) {
	if warm {
		return k.read(ctx, q)
	}
	rctx, cancel := sharedReadContext(ctx, scoresReadTimeout)
	defer cancel()
	return k.read(rctx, q)
}

// scoredAt returns the latest scored_at of the month's scorings of dataset against against: its
// company row's, which every scoring writes (one granule of accuracy_scores).
func (s *Store) scoredAt(ctx context.Context, month time.Time, dataset string, against forecast.Against) (time.Time, bool, error) {
	var at time.Time
	var n uint64
	err := s.conn.QueryRow(ctx, "SELECT max(scored_at), count() FROM accuracy_scores "+
		"WHERE month = toDate(?) AND dataset = ? AND against = ? AND level = ?",
		dateString(month), dataset, string(against), string(forecast.ScoreCompany)).Scan(&at, &n)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("clickhouse: latest scoring: %w", err)
	}
	return at, n > 0, nil
}
