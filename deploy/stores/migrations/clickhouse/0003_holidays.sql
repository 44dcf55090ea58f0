-- Holiday calendars imported for a dataset (ordercast import holidays): one row per day and holiday
-- name, two holidays may share a day (M5's events do). The seeded region's own calendar stays in
-- calendar; the forecast engine reads a dataset's rows here beside it (forecast.CalendarScope).
-- An import stages the dataset's rows in holidays_staging, then one REPLACE PARTITION swaps them
-- in, so a re-import replaces the dataset's calendar at once and a failed one leaves it as it was.
CREATE TABLE IF NOT EXISTS holidays (
    dataset     String,
    day         Date,
    holiday     String,
    region      String,
    imported_at DateTime
) ENGINE = MergeTree()
PARTITION BY dataset
ORDER BY (dataset, day, holiday, region);

CREATE TABLE IF NOT EXISTS holidays_staging AS holidays;
