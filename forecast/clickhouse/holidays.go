package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/forecast"
)

// ErrInvalidHoliday is returned (wrapped) by ImportHolidays for a day without a holiday name or
// outside what a ClickHouse Date holds.
var ErrInvalidHoliday = errors.New("clickhouse: invalid holiday")

// CheckHolidayDataset returns an error wrapping ErrInvalidDataset unless name can be given a holiday
// calendar: an imported dataset's name (CheckDataset), or forecast.LiveDataset, the company's own.
func CheckHolidayDataset(name string) error {
	if name == forecast.LiveDataset {
		return nil
	}
	return CheckDataset(name)
}

// HolidayImport says what ImportHolidays loaded.
type HolidayImport struct {
	Dataset           string
	Days              int // rows: days × holidays
	Names             int // distinct holiday names
	FirstDay, LastDay time.Time
	ImportedAt        time.Time
}

// ImportHolidays replaces the holiday calendar of dataset with days (their Dataset field is ignored;
// Workday too: an imported calendar holds holidays only). Every day needs a holiday name.
//
// The replacement is atomic as far as ClickHouse allows: the rows are staged in the dataset's
// partition of holidays_staging, counted, and one REPLACE PARTITION swaps them into holidays. Any
// error before the swap leaves the dataset's calendar as it was; importing the same days again gives
// the same calendar. It returns an error wrapping ErrInvalidDataset for a bad name, ErrEmptyImport
// for no days (an empty import never clears a calendar) and ErrInvalidHoliday for a day without a
// name or outside what a Date holds. Run one import of a dataset's holidays at a time.
func (s *Store) ImportHolidays(ctx context.Context, dataset string, days []forecast.CalendarDay) (HolidayImport, error) {
	res := HolidayImport{Dataset: dataset, ImportedAt: time.Now().UTC().Truncate(time.Second)}
	if err := CheckHolidayDataset(dataset); err != nil {
		return res, err
	}
	if len(days) == 0 {
		return res, fmt.Errorf("clickhouse: import holidays of %s: %w", dataset, ErrEmptyImport)
	}
	n := len(days)
	ds, holiday, region := make([]string, n), make([]string, n), make([]string, n)
	day, at := make([]time.Time, n), make([]time.Time, n)
	names := make(map[string]struct{})
	for i, d := range days {
		dd := dayOf(d.Day)
		if d.Holiday == "" || dd.Before(minDay) || dd.After(maxDay) {
			return res, fmt.Errorf("clickhouse: import holidays of %s: day %d (%s %q): %w: want a name and a day in %s..%s",
				dataset, i+1, dateString(dd), d.Holiday, ErrInvalidHoliday, dateString(minDay), dateString(maxDay))
		}
		ds[i], day[i], holiday[i], region[i], at[i] = dataset, dd, d.Holiday, d.Region, res.ImportedAt
		names[d.Holiday] = struct{}{}
		if i == 0 || dd.Before(res.FirstDay) {
			res.FirstDay = dd
		}
		if i == 0 || dd.After(res.LastDay) {
			res.LastDay = dd
		}
	}
	res.Days, res.Names = n, len(names)

	partition := quote(dataset)
	cl := s.cluster
	dropStaging := "ALTER TABLE " + cl.Local("holidays_staging") + " DROP PARTITION " + partition
	fail := func(step string, err error) (HolidayImport, error) {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		cl.ExecEachShard(cctx, dropStaging) //nolint:errcheck // best effort; the next import clears it too
		return res, fmt.Errorf("clickhouse: import holidays of %s: %s: %w", dataset, step, err)
	}
	if err := cl.ExecEachShard(ctx, dropStaging); err != nil {
		return fail("clear staging", err)
	}
	if err := stores.InsertColumns(ctx, s.conn, "INSERT INTO holidays_staging (dataset, day, holiday, region, imported_at)",
		ds, day, holiday, region, at); err != nil {
		return fail("stage", err)
	}
	var staged uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM holidays_staging WHERE dataset = ?", dataset).Scan(&staged); err != nil {
		return fail("count staged rows", err)
	}
	if staged != uint64(n) {
		return fail("count staged rows", fmt.Errorf("staged %d rows of %d: another import of the dataset's holidays may be running", staged, n))
	}
	// On a cluster one dataset's holidays are on one shard (sharded by dataset); every shard swaps,
	// with replicas after fetching what another replica of the shard took (SyncReplica).
	if err := cl.EachShard(ctx, func(ctx context.Context, conn driver.Conn) error {
		if err := cl.SyncReplica(ctx, conn, "holidays_staging"); err != nil {
			return err
		}
		return conn.Exec(ctx, "ALTER TABLE "+cl.Local("holidays")+" REPLACE PARTITION "+partition+" FROM "+cl.Local("holidays_staging"))
	}); err != nil {
		return fail("replace the calendar", err)
	}
	if err := cl.ExecEachShard(ctx, dropStaging); err != nil {
		return res, fmt.Errorf("clickhouse: import holidays of %s: calendar replaced; clear staging: %w", dataset, err)
	}
	return res, nil
}

func dayOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// holidayDays reads the imported holidays of dataset in [from, to), by day, name and region.
func (s *Store) holidayDays(ctx context.Context, dataset string, from, to time.Time) ([]CalendarDay, error) {
	rows, err := s.conn.Query(ctx, "SELECT region, toString(day), holiday FROM holidays "+
		"WHERE dataset = ? AND day >= toDate(?) AND day < toDate(?) ORDER BY day, holiday, region",
		dataset, dateString(from), dateString(to))
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read holidays of %s: %w", dataset, err)
	}
	defer rows.Close()
	var out []CalendarDay
	for rows.Next() {
		c := CalendarDay{Dataset: dataset}
		var day string
		if err := rows.Scan(&c.Region, &day, &c.Holiday); err != nil {
			return nil, fmt.Errorf("clickhouse: read holidays of %s: %w", dataset, err)
		}
		if c.Day, err = time.Parse(time.DateOnly, day); err != nil {
			return nil, fmt.Errorf("clickhouse: read holidays of %s: day %q: %w", dataset, day, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: read holidays of %s: %w", dataset, err)
	}
	return out, nil
}
