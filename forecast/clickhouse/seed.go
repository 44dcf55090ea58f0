package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/retailer"
)

// SeedSource is sales.source of the lines the synthetic generator wrote.
const SeedSource = "seed"

// DefaultSeedBlockRows is how many rows go into one block of a SeedWriter's inserts. Memory grows
// with it; measured on two cores, 250k-row blocks loaded the default region faster than 500k or 1M
// ones (the server writes one block while the next is generated) in two thirds of the memory.
const DefaultSeedBlockRows = 250_000

// seedLiteral is forecast.LiveDataset as a string literal, for DDL that takes no parameters.
const seedLiteral = "'" + forecast.LiveDataset + "'"

// LiveHistoryRows returns how many rows of the live dataset sales and true_demand hold.
func (s *Store) LiveHistoryRows(ctx context.Context) (sales, demand uint64, err error) {
	err = s.conn.QueryRow(ctx, "SELECT (SELECT count() FROM sales WHERE dataset = "+seedLiteral+
		"), (SELECT count() FROM true_demand WHERE dataset = "+seedLiteral+")").Scan(&sales, &demand)
	if err != nil {
		return 0, 0, fmt.Errorf("clickhouse: count live history: %w", err)
	}
	return sales, demand, nil
}

// DeleteLive deletes the live dataset's history, true demand and dimension rows: it drops the live
// partitions of sales and true_demand, and deletes the live rows of outlets_dim and brands_dim,
// waiting until that mutation is done (or ctx ends) so that what is written next is all there is.
// Imported datasets are left alone. On a cluster every shard's local tables are cleared.
func (s *Store) DeleteLive(ctx context.Context) error {
	for _, t := range []struct{ table, partition string }{
		{"sales", "(" + seedLiteral + ", '')"}, // partitioned by (dataset, import_id)
		{"sales_by_outlet", seedLiteral},
		{"true_demand", seedLiteral},
	} {
		table := t.table
		if err := s.cluster.ExecEachShard(ctx, "ALTER TABLE "+s.cluster.Local(table)+" DROP PARTITION "+t.partition); err != nil {
			return fmt.Errorf("clickhouse: drop the live partition of %s: %w", table, err)
		}
	}
	for _, table := range []string{"outlets_dim", "brands_dim"} {
		if err := s.cluster.ExecEachShard(ctx, "ALTER TABLE "+s.cluster.Local(table)+" DELETE WHERE dataset = "+seedLiteral); err != nil {
			return fmt.Errorf("clickhouse: delete the live rows of %s: %w", table, err)
		}
	}
	if err := s.cluster.WaitMutations(ctx, "outlets_dim", "brands_dim"); err != nil {
		return fmt.Errorf("clickhouse: wait for the deletion of live dimensions: %w", err)
	}
	return nil
}

// WriteLiveDims writes the dimension copies of the live master data: outlets to outlets_dim and
// brands to brands_dim (prices in yuan per carton, launch_date 1970-01-01 when there is none), all
// with the given version.
func (s *Store) WriteLiveDims(ctx context.Context, outlets []retailer.Outlet, brands []ordering.Brand, version uint64) error {
	n := len(outlets)
	o := struct {
		dataset, outlet, name, area, format, locality, market, manager, route, credit, status []string
		orderDay, grade, benchmark, collection                                                []uint8
		version                                                                               []uint64
	}{}
	for i := range outlets {
		x := &outlets[i]
		locality := "urban"
		if x.Rural {
			locality = "rural"
		}
		status := x.Status
		if status == "" {
			status = retailer.Active
		}
		o.dataset = append(o.dataset, forecast.LiveDataset)
		o.outlet = append(o.outlet, x.Licence)
		o.name = append(o.name, x.Name)
		o.area = append(o.area, x.Area)
		o.format = append(o.format, string(x.Format))
		o.locality = append(o.locality, locality)
		o.market = append(o.market, x.MarketType)
		o.manager = append(o.manager, x.Manager)
		o.route = append(o.route, x.Route)
		o.orderDay = append(o.orderDay, uint8((int(x.OrderDay)+6)%7+1)) // ISO: 1 Monday … 7 Sunday
		o.grade = append(o.grade, uint8(x.Grade))
		o.credit = append(o.credit, x.CreditLevel)
		o.benchmark = append(o.benchmark, seedFlag(x.Benchmark))
		o.collection = append(o.collection, seedFlag(x.CollectionPoint))
		o.status = append(o.status, string(status))
		o.version = append(o.version, version)
	}
	if n > 0 {
		err := stores.InsertColumns(ctx, s.conn, "INSERT INTO outlets_dim (dataset, outlet, name, area, business_format, "+
			"locality, market_type, manager, route, order_day, grade, credit_level, benchmark, collection_point, "+
			"status, version)",
			o.dataset, o.outlet, o.name, o.area, o.format, o.locality, o.market, o.manager, o.route, o.orderDay,
			o.grade, o.credit, o.benchmark, o.collection, o.status, o.version)
		if err != nil {
			return fmt.Errorf("clickhouse: write outlets_dim: %w", err)
		}
	}

	b := struct {
		dataset, brand, name, manufacturer, lifecycle []string
		class, scarce, newProduct                     []uint8
		wholesale, retail                             []float64
		launch                                        []time.Time
		version                                       []uint64
	}{}
	for i := range brands {
		x := &brands[i]
		launch := time.Unix(0, 0).UTC()
		if !x.LaunchDate.IsZero() {
			launch = x.LaunchDate
		}
		lifecycle := x.Lifecycle
		if lifecycle == "" {
			lifecycle = ordering.Maintained
		}
		b.dataset = append(b.dataset, forecast.LiveDataset)
		b.brand = append(b.brand, x.Code)
		b.name = append(b.name, x.Name)
		b.manufacturer = append(b.manufacturer, x.Manufacturer)
		b.class = append(b.class, uint8(x.PriceClass))
		b.wholesale = append(b.wholesale, float64(x.WholesaleCents)/100)
		b.retail = append(b.retail, float64(x.RetailCents)/100)
		b.scarce = append(b.scarce, seedFlag(x.Scarce))
		b.newProduct = append(b.newProduct, seedFlag(x.NewProduct))
		b.launch = append(b.launch, launch)
		b.lifecycle = append(b.lifecycle, string(lifecycle))
		b.version = append(b.version, version)
	}
	if len(brands) > 0 {
		err := stores.InsertColumns(ctx, s.conn, "INSERT INTO brands_dim (dataset, brand, name, manufacturer, price_class, "+
			"wholesale_price, retail_price, scarce, new_product, launch_date, lifecycle, version)",
			b.dataset, b.brand, b.name, b.manufacturer, b.class, b.wholesale, b.retail, b.scarce, b.newProduct,
			b.launch, b.lifecycle, b.version)
		if err != nil {
			return fmt.Errorf("clickhouse: write brands_dim: %w", err)
		}
	}
	return nil
}

// SeedWriter streams generated history into the live dataset: order lines into sales (source
// SeedSource, one batch id) and again into sales_by_outlet, and true demand into true_demand. Each table gets one INSERT,
// open from the first row to Close, whose blocks are sent as they fill (every blockRows rows, or
// every few seconds): the server writes a block while the next one is generated, and memory stays
// at one block per table. Rows sent before an error stay in the tables; DeleteLive removes them.
// A SeedWriter is not safe for concurrent use.
type SeedWriter struct {
	sales, byOutlet, demand *stores.Insertion
	batchID                 string

	// Scratch columns, reused from one Add to the next.
	day, week                                []time.Time
	outlet, brand, dataset, source, batch    []string
	requested, granted, delivered, limit, qd []float64
	limited                                  []uint8
	orderID                                  []uint64
}

// NewSeedWriter returns a SeedWriter whose lines carry batchID; blockRows ≤ 0 means
// DefaultSeedBlockRows. Nothing is sent before the first Add.
func (s *Store) NewSeedWriter(batchID string, blockRows int) *SeedWriter {
	if blockRows <= 0 {
		blockRows = DefaultSeedBlockRows
	}
	return &SeedWriter{
		sales: stores.NewInsertion(s.conn, "INSERT INTO sales (dataset, day, outlet, brand, requested, granted, delivered, limit_qty, limited, "+
			"order_id, source, batch_id)", blockRows),
		byOutlet: stores.NewInsertion(s.conn, "INSERT INTO sales_by_outlet (dataset, day, outlet, brand, requested, granted, delivered, "+
			"order_id, batch_id)", blockRows),
		demand:  stores.NewInsertion(s.conn, "INSERT INTO true_demand (dataset, week, outlet, brand, demand)", blockRows),
		batchID: batchID,
	}
}

// Add writes sales and demand. The writer copies them: the caller may reuse the slices.
func (w *SeedWriter) Add(ctx context.Context, sales []forecast.Sale, demand []forecast.DemandPoint) error {
	if n := len(sales); n > 0 {
		w.grow(n)
		w.day, w.outlet, w.brand = w.day[:0], w.outlet[:0], w.brand[:0]
		w.requested, w.granted, w.delivered, w.limit = w.requested[:0], w.granted[:0], w.delivered[:0], w.limit[:0]
		w.limited, w.orderID = w.limited[:0], w.orderID[:0]
		for i := range sales {
			s := &sales[i]
			w.day = append(w.day, s.Day)
			w.outlet = append(w.outlet, s.Outlet)
			w.brand = append(w.brand, s.Brand)
			w.requested = append(w.requested, s.Requested)
			w.granted = append(w.granted, s.Granted)
			w.delivered = append(w.delivered, s.Delivered)
			w.limit = append(w.limit, s.Limit)
			w.limited = append(w.limited, seedFlag(s.Limited))
			w.orderID = append(w.orderID, s.OrderID)
		}
		err := w.sales.Append(ctx, n, w.dataset[:n], w.day, w.outlet, w.brand, w.requested, w.granted, w.delivered,
			w.limit, w.limited, w.orderID, w.source[:n], w.batch[:n])
		if err != nil {
			return fmt.Errorf("clickhouse: write sales: %w", err)
		}
		err = w.byOutlet.Append(ctx, n, w.dataset[:n], w.day, w.outlet, w.brand, w.requested, w.granted, w.delivered,
			w.orderID, w.batch[:n])
		if err != nil {
			return fmt.Errorf("clickhouse: write sales_by_outlet: %w", err)
		}
	}
	if n := len(demand); n > 0 {
		w.grow(n)
		w.week, w.outlet, w.brand, w.qd = w.week[:0], w.outlet[:0], w.brand[:0], w.qd[:0]
		for i := range demand {
			d := &demand[i]
			w.week = append(w.week, d.Week)
			w.outlet = append(w.outlet, d.Outlet)
			w.brand = append(w.brand, d.Brand)
			w.qd = append(w.qd, d.Demand)
		}
		if err := w.demand.Append(ctx, n, w.dataset[:n], w.week, w.outlet, w.brand, w.qd); err != nil {
			return fmt.Errorf("clickhouse: write true_demand: %w", err)
		}
	}
	return nil
}

// grow makes the constant columns at least n long.
func (w *SeedWriter) grow(n int) {
	for len(w.dataset) < n {
		w.dataset = append(w.dataset, forecast.LiveDataset)
		w.source = append(w.source, SeedSource)
		w.batch = append(w.batch, w.batchID)
	}
}

// Rows returns how many sales lines and demand rows the writer has taken.
func (w *SeedWriter) Rows() (sales, demand uint64) { return w.sales.Rows(), w.demand.Rows() }

// Close sends what is left and ends both inserts, waiting until the server has written every block.
func (w *SeedWriter) Close() error {
	if err := w.sales.Finish(); err != nil {
		w.byOutlet.Abort()
		w.demand.Abort()
		return fmt.Errorf("clickhouse: write sales: %w", err)
	}
	if err := w.byOutlet.Finish(); err != nil {
		w.demand.Abort()
		return fmt.Errorf("clickhouse: write sales_by_outlet: %w", err)
	}
	if err := w.demand.Finish(); err != nil {
		return fmt.Errorf("clickhouse: write true_demand: %w", err)
	}
	return nil
}

// Abort ends both inserts without waiting for them; blocks already sent may still be written.
func (w *SeedWriter) Abort() {
	w.sales.Abort()
	w.byOutlet.Abort()
	w.demand.Abort()
}

func seedFlag(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
