package clickhouse

import (
	"context"
	"errors"
	"fmt"

	"github.com/ordercast/ordercast/forecast"
)

// How readers find an imported dataset's rows in sales.
//
// sales is partitioned by (dataset, import_id) (ClickHouse migration 0007). An import of a dataset
// attaches its rows as a partition of its own on every shard, beside those of the import before
// it, then writes the dataset's row in datasets naming its import_id: that one row is the commit.
// Only then does it drop the partitions of the other imports of the dataset. A reader of an
// imported dataset reads the rows of the import its datasets row names (importOf), so it sees the
// previous import whole until the commit and the new one whole after, also when a shard failed
// between the others' attaches and the commit.
//
// A reader that makes several queries (SalesHistory makes five) names one import in all of them
// (readImport). Should an import of the dataset commit during the read, it may drop the partitions
// read before the read is done; readImport then reads again, from the import now current. The live
// dataset is written by the seed and the outbox relay, never imported: its rows are all
// the empty import_id, one partition, read as before.

// maxImportReads bounds how many times readImport reads a dataset that imports keep replacing.
const maxImportReads = 3

// errImportChanging is returned (wrapped) when every read of readImport saw another import commit.
var errImportChanging = errors.New("imports of the dataset committed during every read")

// salesScope names the rows of sales of one dataset that a reader reads: the live dataset's, or
// those of one import of an imported dataset.
type salesScope struct {
	dataset  string
	importID string // "" for the live dataset and for imports made before migration 0007
	period   string // PeriodDay or PeriodWeek
}

// where returns the condition on sales that selects the scope's rows, without "WHERE", and its
// arguments. The live dataset's is dataset = 'live' alone: its rows all have the empty import_id.
func (sc salesScope) where() (string, []any) {
	if sc.dataset == forecast.LiveDataset {
		return "dataset = ?", []any{sc.dataset}
	}
	return "dataset = ? AND import_id = ?", []any{sc.dataset, sc.importID}
}

// importOf returns the scope of dataset's current rows: for an imported dataset, the import that
// its latest datasets row names. It returns an error wrapping ErrUnknownDataset for an imported
// dataset without a datasets row (never imported, or no import of it committed).
func (s *Store) importOf(ctx context.Context, dataset string) (salesScope, error) {
	if dataset == forecast.LiveDataset {
		return salesScope{dataset: dataset, period: PeriodWeek}, nil
	}
	sc := salesScope{dataset: dataset}
	var rows uint64
	// The latest row by imported_at, then import_id (imports of one second, ids in time order); no
	// FINAL needed, and it does not depend on which rows a merge of datasets kept.
	err := s.conn.QueryRow(ctx, "SELECT argMax(import_id, (imported_at, import_id)), argMax(period, (imported_at, import_id)), "+
		"count() FROM datasets WHERE dataset = ?", dataset).Scan(&sc.importID, &sc.period, &rows)
	if err != nil {
		return salesScope{}, fmt.Errorf("read the current import of %s: %w", dataset, err)
	}
	if rows == 0 {
		return salesScope{}, fmt.Errorf("%w: %q is not recorded in datasets (import it)", ErrUnknownDataset, dataset)
	}
	switch sc.period {
	case PeriodDay, PeriodWeek:
	default:
		return salesScope{}, fmt.Errorf("dataset %s: period %q in datasets: want day or week", dataset, sc.period)
	}
	return sc, nil
}

// readImport calls read with the scope of dataset's current rows (importOf), then checks that the
// dataset's current import is still the one read: if another committed meanwhile, the rows read may
// have been dropped half way through (read may even have failed for it: a dataset without rows), and
// read is called again with the new scope, up to maxImportReads times in all. read must start
// afresh on each call. The live dataset is read once.
func (s *Store) readImport(ctx context.Context, dataset string, read func(salesScope) error) error {
	sc, err := s.importOf(ctx, dataset)
	if err != nil {
		return err
	}
	for range maxImportReads {
		readErr := read(sc)
		if dataset == forecast.LiveDataset {
			return readErr
		}
		now, err := s.importOf(ctx, dataset)
		switch {
		case err != nil && readErr != nil:
			return readErr
		case err != nil:
			return err
		case now.importID == sc.importID:
			return readErr
		}
		sc = now
	}
	return fmt.Errorf("dataset %s: %w (%d reads)", dataset, errImportChanging, maxImportReads)
}
