-- The account manager's work on its outlets: orders placed on an outlet's behalf, visits, benchmark
-- outlets, and the planners' reassignments of outlets with their audit trail.

-- Who placed an order's current lines, and in what role: the outlet's retailer, or its account manager
-- when the retailer phoned the order in. created_by stays the user who first created the order.
ALTER TABLE orders
    ADD COLUMN placed_by      bigint REFERENCES users (id),
    ADD COLUMN placed_by_role text CHECK (placed_by_role IN
                                  ('retailer', 'manager', 'planner', 'admin', 'manufacturer', 'logistics'));
UPDATE orders o SET placed_by = o.created_by, placed_by_role = u.role FROM users u WHERE u.id = o.created_by;

-- An account manager's visits to its outlets. manager_id is the manager who visited: an outlet moved
-- to another manager keeps its history, and the visits stay its visitor's.
CREATE TABLE outlet_visits (
    id           bigserial PRIMARY KEY,
    outlet_id    bigint NOT NULL REFERENCES outlets (id),
    manager_id   bigint NOT NULL REFERENCES account_managers (id),
    recorded_by  bigint NOT NULL REFERENCES users (id),
    visited_on   date NOT NULL,
    purpose      text NOT NULL CHECK (purpose IN
                    ('routine', 'coaching', 'order_follow_up', 'upload_follow_up', 'new_product', 'complaint', 'other')),
    notes        text NOT NULL DEFAULT '',
    follow_up_on date CHECK (follow_up_on >= visited_on),
    follow_up    text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (follow_up_on IS NOT NULL OR follow_up = '')
);
CREATE INDEX outlet_visits_outlet_idx ON outlet_visits (outlet_id, visited_on);
CREATE INDEX outlet_visits_manager_idx ON outlet_visits (manager_id, visited_on);

-- Every change a planner makes to an outlet's assignment (account manager, order day, route) or to its
-- benchmark flag: who changed what, when, from what to what.
CREATE TABLE outlet_changes (
    id         bigserial PRIMARY KEY,
    outlet_id  bigint NOT NULL REFERENCES outlets (id),
    field      text NOT NULL CHECK (field IN ('manager', 'order_day', 'route', 'benchmark')),
    old_value  text NOT NULL,
    new_value  text NOT NULL,
    reason     text NOT NULL DEFAULT '',
    changed_by bigint NOT NULL REFERENCES users (id),
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outlet_changes_outlet_idx ON outlet_changes (outlet_id, id);
CREATE INDEX outlet_changes_time_idx ON outlet_changes (changed_at, id);
