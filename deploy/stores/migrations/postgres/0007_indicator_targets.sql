-- Targets of the indicators (retailer/indicators): the company's default per indicator (scope
-- 'company', key ''), overridable per area (key: the area) or per account manager (key: its code).
-- Set by planners through the API; every figure is shown beside the target that applies to it.
CREATE TABLE indicator_targets (
    indicator  text NOT NULL,
    scope      text NOT NULL CHECK (scope IN ('company', 'area', 'manager')),
    key        text NOT NULL DEFAULT '',
    value      double precision NOT NULL CHECK (value >= 0),
    set_by     text NOT NULL DEFAULT '',
    set_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((scope = 'company') = (key = '')),
    PRIMARY KEY (indicator, scope, key)
);

-- The indicators read an outlet's orders of a cycle whatever their status (failed ones included, which
-- orders_live_idx leaves out): the empty-order list, failed orders, the last paid order.
CREATE INDEX orders_outlet_cycle_idx ON orders (outlet_id, cycle_id);
