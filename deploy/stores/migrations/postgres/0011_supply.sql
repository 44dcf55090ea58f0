-- Upstream: the distributor's warehouse stock as movements, manufacturers' arrival plans, stock limits,
-- returns of damaged goods and retailers' receipts of deliveries.

-- Stock is the sum of its movements, never a bare overwrite: arrivals and returns in, deliveries out,
-- adjustments (a count, breakage) either way with a reason. The snapshot table of 0001 held no rows
-- any code wrote; it becomes the current stock per brand, moved in each movement's transaction.
DROP TABLE warehouse_stock;

CREATE TABLE arrival_plan_imports (
    id          bigserial PRIMARY KEY,
    source      text NOT NULL,                      -- 'api' or the CSV file's name
    lines       integer NOT NULL,
    imported_by bigint REFERENCES users (id),
    imported_at timestamptz NOT NULL
);

ALTER TABLE arrival_plans
    ADD COLUMN cadence text NOT NULL DEFAULT 'weekly' CHECK (cadence IN ('weekly', 'ten_days')),
    ADD COLUMN received_cartons integer NOT NULL DEFAULT 0 CHECK (received_cartons >= 0),
    ADD COLUMN import_id bigint REFERENCES arrival_plan_imports (id);
-- One planned arrival per brand and day: a plan sent again replaces the day's quantity.
CREATE UNIQUE INDEX arrival_plans_brand_day_idx ON arrival_plans (brand_id, arrives_on);
DROP INDEX arrival_plans_brand_idx;
CREATE INDEX arrival_plans_manufacturer_idx ON arrival_plans (manufacturer_id, arrives_on);

CREATE TABLE stock_movements (
    id              bigserial PRIMARY KEY,
    brand_id        bigint NOT NULL REFERENCES brands (id),
    kind            text NOT NULL CHECK (kind IN ('arrival', 'delivery', 'return', 'adjustment')),
    cartons         integer NOT NULL CHECK (cartons <> 0),  -- signed: in positive, out negative
    reason          text NOT NULL DEFAULT '',
    order_id        bigint REFERENCES orders (id),
    arrival_plan_id bigint REFERENCES arrival_plans (id),
    recorded_by     bigint REFERENCES users (id),
    at              timestamptz NOT NULL,
    CHECK (kind <> 'adjustment' OR reason <> ''),
    CHECK (kind NOT IN ('arrival', 'return') OR cartons > 0),
    CHECK (kind <> 'delivery' OR cartons < 0),
    CHECK (kind NOT IN ('delivery', 'return') OR order_id IS NOT NULL)
);
CREATE INDEX stock_movements_brand_idx ON stock_movements (brand_id, at);

-- The current stock per brand: Σ stock_movements.cartons of the brand, written in the movement's
-- transaction (for reads that must not add up the whole history). Deliveries recorded before the
-- arrivals that fed them (the seeded history has none) can take it below zero: the balance shows it.
CREATE TABLE warehouse_stock (
    brand_id   bigint PRIMARY KEY REFERENCES brands (id),
    cartons    integer NOT NULL,
    updated_at timestamptz NOT NULL
);

-- Stock limits: proposed from history and forecast, or set by a planner.
ALTER TABLE stock_limits
    ADD COLUMN basis text NOT NULL DEFAULT '',
    ADD COLUMN set_by bigint REFERENCES users (id);

-- Returns of damaged goods: refunded to the outlet and back into stock.
ALTER TABLE order_lines ADD COLUMN returned_cartons integer NOT NULL DEFAULT 0
    CHECK (returned_cartons >= 0 AND returned_cartons <= coalesce(delivered_cartons, 0));

-- The retailer confirms receipt of a delivered order, or reports what it found short.
ALTER TABLE orders
    ADD COLUMN receipt text CHECK (receipt IN ('confirmed', 'short')),
    ADD COLUMN receipt_note text NOT NULL DEFAULT '',
    ADD COLUMN received_at timestamptz;
ALTER TABLE order_lines ADD COLUMN received_cartons integer CHECK (received_cartons >= 0);
CREATE INDEX orders_paid_idx ON orders (cycle_id, outlet_id) WHERE status IN ('paid', 'delivered');
