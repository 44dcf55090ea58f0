-- One row per imported dataset: what its latest import loaded (ordercast import history). The rows
-- themselves are in sales under the dataset's partition, its outlets and brands in outlets_dim and
-- brands_dim. Re-importing a dataset replaces its row: read with FINAL, or argMax on imported_at.
CREATE TABLE IF NOT EXISTS datasets (
    dataset     String,
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
