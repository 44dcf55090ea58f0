package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/forecast"
)

// The planner's view of the store.
var (
	_ forecast.HistoryReader   = (*Store)(nil)
	_ forecast.CalendarReader  = (*Store)(nil)
	_ forecast.CatalogueReader = (*Store)(nil)
	_ forecast.RunWriter       = (*Store)(nil)
)

// Brands returns the brands of dataset as the latest version of each row of brands_dim says, by
// code. A launch_date of 1970-01-01 (none) is a zero Launch.
func (s *Store) Brands(ctx context.Context, dataset string) ([]forecast.Brand, error) {
	rows, err := s.conn.Query(ctx, "SELECT brand, argMax(manufacturer, version), toUInt8(argMax(price_class, version)), "+
		"argMax(scarce, version), argMax(new_product, version), toString(argMax(launch_date, version)) "+
		"FROM brands_dim WHERE dataset = ? GROUP BY brand ORDER BY brand", dataset)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read brands of %s: %w", dataset, err)
	}
	defer rows.Close()
	var out []forecast.Brand
	for rows.Next() {
		var b forecast.Brand
		var class, scarce, newProduct uint8
		var launch string
		if err := rows.Scan(&b.Code, &b.Manufacturer, &class, &scarce, &newProduct, &launch); err != nil {
			return nil, fmt.Errorf("clickhouse: read brands of %s: %w", dataset, err)
		}
		b.PriceClass, b.Scarce, b.NewProduct = int(class), scarce != 0, newProduct != 0
		if launch != "1970-01-01" && launch != "0000-00-00" {
			if b.Launch, err = time.Parse(time.DateOnly, launch); err != nil {
				return nil, fmt.Errorf("clickhouse: read brands of %s: launch_date %q: %w", dataset, launch, err)
			}
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: read brands of %s: %w", dataset, err)
	}
	return out, nil
}

// WriteCalendar writes days into the calendar table with version: a day written again with a higher
// version replaces the earlier row (ReplacingMergeTree; Calendar reads the latest).
func (s *Store) WriteCalendar(ctx context.Context, days []forecast.CalendarDay, version uint64) error {
	if len(days) == 0 {
		return nil
	}
	region, holiday := make([]string, len(days)), make([]string, len(days))
	day := make([]time.Time, len(days))
	workday := make([]uint8, len(days))
	versions := make([]uint64, len(days))
	for i, d := range days {
		region[i], day[i], holiday[i], versions[i] = d.Region, d.Day, d.Holiday, version
		if d.Workday {
			workday[i] = 1
		}
	}
	err := stores.InsertColumns(ctx, s.conn, "INSERT INTO calendar (region, day, holiday, workday, version)",
		region, day, holiday, workday, versions)
	if err != nil {
		return fmt.Errorf("clickhouse: write calendar: %w", err)
	}
	return nil
}
