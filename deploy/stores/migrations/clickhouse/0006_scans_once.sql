-- scans again, as a ReplacingMergeTree on the row's identity (outlet, batch_id, row_no): a row stored
-- twice counts once for the readers that add rows up, which read it with FINAL. An upload's retry
-- reads back what earlier attempts stored and writes only the rest, but it cannot see an INSERT that
-- a server holds and has not committed yet: one that stalled in the middle of it (a replica frozen,
-- docs/RELIABILITY.md), or a part committed on a replica that the other has not fetched. Each writer
-- numbers the rows of a batch, so the key is unique for rows that are not copies.
-- Run it with no upload being written (serve stopped): rows written to the old table between its
-- copy and its drop would be lost.
CREATE TABLE IF NOT EXISTS scans_once (
    outlet      String,
    brand       String,
    kind        String,
    scanned_at  DateTime,
    day         Date,
    qty         Float64,
    batch_id    String,
    row_no      UInt32,
    received_at DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (outlet, batch_id, row_no);

-- The new table takes the name; the old one keeps its rows until they are copied (on a cluster, each
-- shard's from its own: both are sharded by outlet).
RENAME TABLE scans TO scans_0001, scans_once TO scans;

INSERT INTO scans (outlet, brand, kind, scanned_at, day, qty, batch_id, row_no, received_at)
SELECT outlet, brand, kind, scanned_at, day, qty, batch_id, row_no, received_at FROM scans_0001;

DROP TABLE IF EXISTS scans_0001;
