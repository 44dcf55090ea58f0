-- The outlet-level weekly forecasts of forecasts again, ordered by brand and week: an allocation reads
-- one brand-week's forecast of every outlet (forecast/clickhouse.BrandDemand), which forecasts' key
-- (run_id, level, outlet, brand, week) cannot find without reading every outlet row of the run.
-- forecast run writes both tables before its forecast_runs row, so a run readers see has its rows in
-- both. ReplacingMergeTree with this key, and readers keeping one row per outlet: rows are copies,
-- so a backfill repeated after a failure changes no answer. Sharded by outlet like forecasts.
CREATE TABLE IF NOT EXISTS forecasts_by_brand (
    run_id  String,
    as_of   Date,
    brand   String,
    week    Date,
    outlet  String,
    point   Float64
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(as_of)
ORDER BY (run_id, brand, week, outlet);

-- The runs written before this table: copied from forecasts (on a cluster, shard by shard from its
-- own forecasts, both sharded by outlet).
INSERT INTO forecasts_by_brand (run_id, as_of, brand, week, outlet, point)
SELECT run_id, as_of, brand, week, outlet, point FROM forecasts WHERE level = 'outlet';
