-- A brand's published supply is a cap on what the cycle's orders are granted of it, like a per-outlet
-- limit: granted_cartons is what the cycle's live orders (not cancelled or failed) hold of a rationed
-- brand (supply_cartons not NULL), moved in each order's transaction, and the CHECK makes granting
-- more than the supply impossible whatever the application does. For a brand that is not rationed
-- the counter is not kept; publishing a supply recomputes it from the orders.
ALTER TABLE supply_plans ADD COLUMN granted_cartons integer NOT NULL DEFAULT 0;
UPDATE supply_plans sp SET granted_cartons = g.granted
FROM (SELECT o.cycle_id, ol.brand_id, sum(ol.granted_cartons)::integer AS granted
      FROM orders o JOIN order_lines ol ON ol.order_id = o.id
      WHERE o.status NOT IN ('cancelled', 'failed') GROUP BY o.cycle_id, ol.brand_id) g
WHERE sp.cycle_id = g.cycle_id AND sp.brand_id = g.brand_id;
-- A plan granted beyond its supply before this migration (the bug it fixes) keeps what was granted as
-- its supply, so that the constraint holds; the planner may publish again, not below what is granted.
UPDATE supply_plans SET supply_cartons = granted_cartons WHERE supply_cartons < granted_cartons;
ALTER TABLE supply_plans ADD CONSTRAINT supply_plans_granted_check
    CHECK (granted_cartons >= 0 AND granted_cartons <= supply_cartons);

-- A line cut by what was left of its brand's supply says so.
ALTER TABLE order_lines DROP CONSTRAINT order_lines_limited_reason_check;
ALTER TABLE order_lines ADD CONSTRAINT order_lines_limited_reason_check
    CHECK (limited_reason IN ('limit', 'cap', 'refused', 'not_on_sale', 'supply'));
