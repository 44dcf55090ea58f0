-- Allocation previews kept while a planner pages through them, confirms and publishes
-- (forecast/allocation.Planner.Preview, Kept, PublishKept). A preview is a computation, never a fact:
-- publishing computes it again and refuses when the result differs. Rows expire (expires_at) and are
-- deleted by the next preview kept. body is the plan encoded by forecast/allocation.EncodePlan;
-- format names that encoding's version (rows of another format are not read back).
CREATE TABLE allocation_previews (
    id         text PRIMARY KEY,
    week_start date NOT NULL,
    format     smallint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    body       bytea NOT NULL
);
CREATE INDEX allocation_previews_expires_idx ON allocation_previews (expires_at);
-- The plan compresses poorly by pglz and is read whole: store it uncompressed, out of line.
ALTER TABLE allocation_previews ALTER COLUMN body SET STORAGE EXTERNAL;
