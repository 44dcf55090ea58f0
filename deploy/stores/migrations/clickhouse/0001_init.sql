-- ordercast history and analytics. One statement per query: each ends with ';' at the end of a line.
-- Written for ClickHouse 18.16 and current releases alike: plain String (no LowCardinality), no Map,
-- no DateTime64, no window functions.
--
-- dataset separates the company's own data ('live') from imported histories ('walmart', 'm5', ...),
-- so imported outlets and brands never collide with the live master data.

-- Sell-in history: one row per order line (live), generated line (seed) or CSV row (import).
-- requested is what the retailer asked for, granted what the limit allowed, delivered what arrived:
-- the gap between requested and granted is the censored demand the forecast engine corrects for.
-- Partitioned by dataset so an import replaces its dataset atomically (REPLACE PARTITION ... FROM);
-- ordered by day first so the outbox relay's batch check reads only the batch's days.
CREATE TABLE IF NOT EXISTS sales (
    dataset     String,
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
PARTITION BY dataset
ORDER BY (dataset, day, outlet, brand);

-- Imports are written here first, then moved into sales with REPLACE PARTITION.
CREATE TABLE IF NOT EXISTS sales_staging AS sales;

-- Terminal scans that passed validation: sell-out (packs sold to consumers) and stock counts.
CREATE TABLE IF NOT EXISTS scans (
    outlet      String,
    brand       String,
    kind        String,
    scanned_at  DateTime,
    day         Date,
    qty         Float64,
    batch_id    String,
    row_no      UInt32,
    received_at DateTime DEFAULT now()
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (outlet, batch_id, day, brand);

-- One row per accepted scan batch, for upload-rate indicators and replay detection.
CREATE TABLE IF NOT EXISTS scan_batches (
    outlet      String,
    batch_id    String,
    accepted    UInt32,
    rejected    UInt32,
    received_at DateTime
) ENGINE = ReplacingMergeTree(received_at)
ORDER BY (outlet, batch_id);

-- Rows that failed validation, with the reason, for the outlet's account manager.
CREATE TABLE IF NOT EXISTS scan_rejects (
    outlet      String,
    batch_id    String,
    row_no      UInt32,
    brand       String,
    kind        String,
    scanned_at  DateTime,
    qty         Float64,
    reason      String,
    received_at DateTime
) ENGINE = ReplacingMergeTree(received_at)
ORDER BY (outlet, batch_id, row_no);

-- The demand the seed generator drew before limits, stock-outs and skipped cycles censored it.
-- For scoring only: the forecast engine never reads it.
CREATE TABLE IF NOT EXISTS true_demand (
    dataset String,
    week    Date,
    outlet  String,
    brand   String,
    demand  Float64
) ENGINE = MergeTree()
PARTITION BY dataset
ORDER BY (dataset, outlet, brand, week);

-- Holidays and decreed make-up working days: data, not a rule.
CREATE TABLE IF NOT EXISTS calendar (
    region  String,
    day     Date,
    holiday String,
    workday UInt8,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (region, day);

-- Copies of the master data, kept current through the outbox (live) or written by an import.
CREATE TABLE IF NOT EXISTS outlets_dim (
    dataset          String,
    outlet           String,
    name             String,
    area             String,
    business_format  String,
    locality         String,
    market_type      String,
    manager          String,
    route            String,
    order_day        UInt8,
    grade            UInt8,
    credit_level     String,
    benchmark        UInt8,
    collection_point UInt8,
    status           String,
    version          UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (dataset, outlet);

CREATE TABLE IF NOT EXISTS brands_dim (
    dataset         String,
    brand           String,
    name            String,
    manufacturer    String,
    price_class     UInt8,
    wholesale_price Float64,
    retail_price    Float64,
    scarce          UInt8,
    new_product     UInt8,
    launch_date     Date,
    lifecycle       String,
    version         UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (dataset, brand);

-- Forecast runs and their weekly forecasts. level is 'outlet' (outlet × brand), 'brand' (outlet = '')
-- or 'total' (outlet = '' and brand = ''); lower levels add up exactly to the higher ones.
CREATE TABLE IF NOT EXISTS forecast_runs (
    run_id      String,
    dataset     String,
    as_of       Date,
    horizon     UInt16,
    series      UInt64,
    models      String,
    started_at  DateTime,
    finished_at DateTime
) ENGINE = MergeTree()
ORDER BY (dataset, as_of, run_id);

CREATE TABLE IF NOT EXISTS forecasts (
    run_id  String,
    dataset String,
    as_of   Date,
    level   String,
    outlet  String,
    brand   String,
    week    Date,
    model   String,
    point   Float64,
    lo80    Float64,
    hi80    Float64
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(as_of)
ORDER BY (run_id, level, outlet, brand, week);

-- Forecast per month, control per week: the monthly sums of a run's weekly forecasts.
CREATE TABLE IF NOT EXISTS forecasts_monthly (
    run_id  String,
    dataset String,
    as_of   Date,
    level   String,
    outlet  String,
    brand   String,
    month   Date,
    point   Float64
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(as_of)
ORDER BY (run_id, level, outlet, brand, month);

-- Scarce-brand allocations with the explanation of every outlet's limit.
CREATE TABLE IF NOT EXISTS allocations (
    allocation_id String,
    cycle_week    Date,
    brand         String,
    outlet        String,
    mode          String,
    grade         UInt8,
    demand        Float64,
    cap           Float64,
    quota         Float64,
    limit_cartons UInt32,
    explanation   String,
    published     UInt8,
    created_at    DateTime
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(cycle_week)
ORDER BY (cycle_week, brand, allocation_id, outlet);

-- Forecast accuracy per month and level ('outlet', 'brand', 'manager', 'area', 'company'), against the
-- actual sales or, on seeded data, against the true demand. Re-scoring a month replaces its rows.
CREATE TABLE IF NOT EXISTS accuracy_scores (
    month     Date,
    dataset   String,
    against   String,
    level     String,
    key       String,
    run_id    String,
    actual    Float64,
    forecast  Float64,
    abs_error Float64,
    accuracy  Float64,
    wape      Float64,
    bias      Float64,
    scored_at DateTime
) ENGINE = ReplacingMergeTree(scored_at)
ORDER BY (month, dataset, against, level, key);
