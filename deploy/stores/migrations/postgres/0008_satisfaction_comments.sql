-- Customer satisfaction is recorded by account managers through the API: one score per outlet and
-- month, with a comment and who recorded it when. Scores loaded with the demo region have no author.
ALTER TABLE satisfaction_scores
    ADD COLUMN comment     text NOT NULL DEFAULT '',
    ADD COLUMN recorded_by bigint REFERENCES users (id),
    ADD COLUMN recorded_at timestamptz;
CREATE INDEX satisfaction_scores_month_idx ON satisfaction_scores (month);
