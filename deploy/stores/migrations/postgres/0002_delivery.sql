-- Delivery and the outbox relay.

-- Logistics records deliveries; it sees orders to deliver but no outlet's catalogue or scans.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('retailer', 'manager', 'planner', 'admin', 'manufacturer', 'logistics'));

-- The relay reads a pending batch by its id, and prunes relayed rows by age.
CREATE INDEX outbox_batch_idx ON outbox (batch_id) WHERE relayed_at IS NULL;
CREATE INDEX outbox_relayed_idx ON outbox (relayed_at) WHERE relayed_at IS NOT NULL;
