-- The scheduled jobs of ordercast serve (cmd/ordercast/schedule). Instances take a job's PostgreSQL
-- advisory lock for each pass; job_state says what the last pass that succeeded covered, so that a due
-- slot (a week's forecast, a month's scoring) succeeds once across instances, and when, so that every
-- instance can export the job's last success. job_runs keeps each slot's successful pass.
CREATE TABLE job_state (
    job              text PRIMARY KEY,
    last_slot        text NOT NULL DEFAULT '',
    last_success     timestamptz NOT NULL,
    last_duration_ms bigint NOT NULL CHECK (last_duration_ms >= 0),
    last_owner       text NOT NULL
);

CREATE TABLE job_runs (
    job         text NOT NULL,
    slot        text NOT NULL,
    owner       text NOT NULL,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    PRIMARY KEY (job, slot)
);
