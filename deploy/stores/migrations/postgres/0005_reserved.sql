-- Placeholder for version 5, which the order-rules branch takes (0005_supply_granted.sql): the
-- migrations may have no gap, and 0006_idempotency_lease.sql follows it. Drop this file when merging
-- after order-rules.
SELECT 1;
