-- The notice senders claim the pending notices due first (ClaimNotices: ORDER BY next_attempt_at, id
-- LIMIT n FOR UPDATE SKIP LOCKED). An index in that order answers a claim from its first entries;
-- with the index on next_attempt_at alone PostgreSQL sorted every pending notice for each claim:
-- 250 ms a claim with 390,000 pending (three allocations of a 100,000-outlet province), back to back
-- while the senders worked through them, against 0.2 ms with this index.
CREATE INDEX notifications_pending_idx ON notifications (next_attempt_at, id) WHERE state = 'pending';
DROP INDEX notifications_due_idx;
