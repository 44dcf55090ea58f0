-- The daily bulletins as last computed (retailer/indicators): the company's and every account manager's
-- of a day, written together by the "bulletin" job of ordercast serve (today's and yesterday's, every few
-- minutes) or by the first request of a day that has none fresh enough. A snapshot is a cache of a
-- computation over the other tables, never a fact: the service serves one only while it is younger than
-- its maximum age and shows computed_at beside the figures; the job deletes the rows older than that.
-- body is the bulletin encoded by retailer/indicators/postgres (JSON, format names its version).
CREATE TABLE bulletin_snapshots (
    day         date NOT NULL,
    manager     text NOT NULL, -- an account manager's code; '' for the company view
    format      smallint NOT NULL,
    computed_at timestamptz NOT NULL,
    body        bytea NOT NULL,
    PRIMARY KEY (day, manager)
);
