-- The live sales lines again, ordered by outlet and day: an outlet's weeks (its account manager's
-- page, forecast/clickhouse.OutletWeeks) and its recent demand (the catalogue's suggestions without a
-- forecast) read one outlet's lines over weeks, which sales' key (dataset, day, outlet, brand) finds
-- only by reading a granule of every day (1.8M of 10.7M lines for 16 weeks over 100,000 outlets).
-- The seed and the outbox relay write both tables (the relay this one first, so that a batch in
-- sales is in both); imports never write the live dataset. ReplacingMergeTree on the line's identity
-- and readers using FINAL: a line written twice (a relay retry, a backfill beside a running relay, a
-- backfill repeated after a failure) counts once. Sharded by outlet like sales.
CREATE TABLE IF NOT EXISTS sales_by_outlet (
    dataset   String,
    day       Date,
    outlet    String,
    brand     String,
    requested Float64,
    granted   Float64,
    delivered Float64,
    order_id  UInt64,
    batch_id  String
) ENGINE = ReplacingMergeTree()
PARTITION BY dataset
ORDER BY (dataset, outlet, day, brand, batch_id, order_id);

-- The lines written before this table: copied from sales (on a cluster, shard by shard from its own
-- sales, both sharded by outlet).
INSERT INTO sales_by_outlet (dataset, day, outlet, brand, requested, granted, delivered, order_id, batch_id)
SELECT dataset, day, outlet, brand, requested, granted, delivered, order_id, batch_id FROM sales WHERE dataset = 'live';
