-- Scan upload batches, claimed once across every serve instance before they are written to
-- ClickHouse (which cannot refuse a duplicate), with the outcome the first answer gave.
-- An attempt holds its claim (token) until lease_until and renews it while it writes; a claim whose
-- lease passed without an outcome (a crashed instance) is taken over by the next attempt.
CREATE TABLE scan_batch_claims (
    outlet      text        NOT NULL, -- licence number
    batch_id    text        NOT NULL,
    token       text        NOT NULL, -- the attempt that holds the claim
    lease_until timestamptz NOT NULL,
    outcome     jsonb,                -- accepted and rejects once stored; null while being written
    claimed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (outlet, batch_id)
);
