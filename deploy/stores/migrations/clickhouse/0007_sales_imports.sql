-- sales again, partitioned by (dataset, import_id): an import of a dataset attaches its rows as a
-- partition of its own beside the current one, on every shard, where no reader looks, and one row in
-- datasets naming the import makes it current (forecast/clickhouse.ImportHistory). Readers of an
-- imported dataset read the rows of the import its datasets row names, so they see the previous
-- import whole until that row is written and the new one whole after, also when a shard failed half
-- way through. import_id is '' for the live dataset (the seed and the outbox relay) and for the rows
-- of imports made before this migration, which their datasets rows (import_id '') still name; the
-- live dataset keeps one partition and its reads their cost.
-- 18.16 cannot change a partition key: the rows are copied into new tables, which then take the
-- names (on a cluster each shard copies its own rows: each new table is sharded as the old one).
-- Run it with serve stopped: rows the relay writes to the old sales after its copy would be lost.
CREATE TABLE IF NOT EXISTS sales_0007 (
    dataset     String,
    import_id   String,
    day         Date,
    outlet      String,
    brand       String,
    requested   Float64,
    granted     Float64,
    delivered   Float64,
    limit_qty   Float64,
    limited     UInt8,
    order_id    UInt64,
    source      String,
    batch_id    String,
    inserted_at DateTime DEFAULT now()
) ENGINE = MergeTree()
PARTITION BY (dataset, import_id)
ORDER BY (dataset, day, outlet, brand);

CREATE TABLE IF NOT EXISTS sales_staging_0007 AS sales_0007;

INSERT INTO sales_0007 (dataset, day, outlet, brand, requested, granted, delivered, limit_qty, limited, order_id, source, batch_id, inserted_at)
SELECT dataset, day, outlet, brand, requested, granted, delivered, limit_qty, limited, order_id, source, batch_id, inserted_at FROM sales;

-- Dropped, not renamed: on a cluster the Distributed sales is created again over the new local
-- table, with its columns. What sales_staging held was an unfinished import's: the next import stages
-- it again.
DROP TABLE IF EXISTS sales;

DROP TABLE IF EXISTS sales_staging;

RENAME TABLE sales_0007 TO sales, sales_staging_0007 TO sales_staging;

-- datasets again, with the import each dataset's row names ('' for the imports made before this
-- migration). Rebuilt rather than altered: on a cluster with replicas a replica migrated later creates
-- the table as 0002 wrote it, which an ALTER already replicated would not match.
CREATE TABLE IF NOT EXISTS datasets_0007 (
    dataset     String,
    import_id   String,
    period      String,
    source      String,
    rows        UInt64,
    outlets     UInt64,
    brands      UInt64,
    first_day   Date,
    last_day    Date,
    imported_at DateTime
) ENGINE = ReplacingMergeTree(imported_at)
ORDER BY dataset;

INSERT INTO datasets_0007 (dataset, period, source, rows, outlets, brands, first_day, last_day, imported_at)
SELECT dataset, period, source, rows, outlets, brands, first_day, last_day, imported_at FROM datasets;

DROP TABLE IF EXISTS datasets;

RENAME TABLE datasets_0007 TO datasets;
