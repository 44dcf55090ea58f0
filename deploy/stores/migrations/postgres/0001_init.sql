-- ordercast system of record: master data, the weekly order cycle, limits, orders, settlement,
-- accounts, idempotency and the outbox to ClickHouse. Quantities are whole cartons; money is in cents.

-- Master data -------------------------------------------------------------------------------------

CREATE TABLE account_managers (
    id         bigserial PRIMARY KEY,
    code       text NOT NULL UNIQUE,
    name       text NOT NULL,
    phone      text NOT NULL DEFAULT '',
    area       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE outlets (
    id               bigserial PRIMARY KEY,
    licence_no       text NOT NULL UNIQUE,
    name             text NOT NULL,
    address          text NOT NULL DEFAULT '',
    area             text NOT NULL,                 -- county / district
    business_format  text NOT NULL CHECK (business_format IN
                        ('convenience', 'supermarket', 'chain', 'restaurant', 'entertainment', 'kiosk', 'other')),
    locality         text NOT NULL CHECK (locality IN ('urban', 'rural')),
    market_type      text NOT NULL DEFAULT '',
    manager_id       bigint REFERENCES account_managers (id),
    route            text NOT NULL DEFAULT '',
    order_day        smallint NOT NULL CHECK (order_day BETWEEN 1 AND 7),   -- ISO weekday, 1 = Monday
    grade            smallint NOT NULL CHECK (grade BETWEEN 1 AND 30),     -- 30 highest
    credit_level     text NOT NULL DEFAULT '',
    benchmark        boolean NOT NULL DEFAULT false,  -- 标杆终端
    collection_point boolean NOT NULL DEFAULT false,  -- 信息采集点: uploads terminal scans
    balance_cents    bigint NOT NULL DEFAULT 0 CHECK (balance_cents >= 0),  -- settlement account
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'closed')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outlets_manager_idx ON outlets (manager_id);
CREATE INDEX outlets_order_day_idx ON outlets (order_day) WHERE status = 'active';

-- Grades are recomputed periodically; every change keeps the inputs that explain it.
CREATE TABLE grade_changes (
    outlet_id      bigint NOT NULL REFERENCES outlets (id),
    effective_from date NOT NULL,
    grade          smallint NOT NULL CHECK (grade BETWEEN 1 AND 30),
    rule_version   text NOT NULL,
    explanation    text NOT NULL,
    PRIMARY KEY (outlet_id, effective_from)
);

-- Settlement ledger: every change to outlets.balance_cents, in the same transaction.
CREATE TABLE balance_entries (
    id           bigserial PRIMARY KEY,
    outlet_id    bigint NOT NULL REFERENCES outlets (id),
    amount_cents bigint NOT NULL,                     -- deposits positive, deductions negative
    kind         text NOT NULL CHECK (kind IN ('deposit', 'deduction', 'refund', 'adjustment')),
    order_id     bigint,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX balance_entries_outlet_idx ON balance_entries (outlet_id, created_at);

CREATE TABLE manufacturers (
    id   bigserial PRIMARY KEY,
    code text NOT NULL UNIQUE,
    name text NOT NULL
);

CREATE TABLE brands (
    id                    bigserial PRIMARY KEY,
    code                  text NOT NULL UNIQUE,
    name                  text NOT NULL,
    manufacturer_id       bigint NOT NULL REFERENCES manufacturers (id),
    price_class           smallint NOT NULL CHECK (price_class BETWEEN 1 AND 5),   -- 一类 … 五类
    packs_per_unit        smallint NOT NULL DEFAULT 10 CHECK (packs_per_unit > 0), -- carton = 10 packs
    wholesale_price_cents bigint NOT NULL CHECK (wholesale_price_cents > 0),       -- per carton
    retail_price_cents    bigint NOT NULL CHECK (retail_price_cents > 0),          -- per carton
    scarce                boolean NOT NULL DEFAULT false,                          -- 紧俏
    new_product           boolean NOT NULL DEFAULT false,
    launch_date           date,
    lifecycle             text NOT NULL DEFAULT 'maintained'
                             CHECK (lifecycle IN ('introduced', 'cultivated', 'maintained', 'retired')),
    CHECK (NOT new_product OR launch_date IS NOT NULL)
);

-- Accounts ----------------------------------------------------------------------------------------

CREATE TABLE users (
    id              bigserial PRIMARY KEY,
    username        text NOT NULL,
    password_hash   text NOT NULL,
    role            text NOT NULL CHECK (role IN ('retailer', 'manager', 'planner', 'admin', 'manufacturer')),
    outlet_id       bigint REFERENCES outlets (id),
    manager_id      bigint REFERENCES account_managers (id),
    manufacturer_id bigint REFERENCES manufacturers (id),
    disabled        boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- A retailer has exactly one outlet, a manager is one account manager, a manufacturer one brand owner.
    CHECK ((role = 'retailer') = (outlet_id IS NOT NULL)),
    CHECK ((role = 'manager') = (manager_id IS NOT NULL)),
    CHECK ((role = 'manufacturer') = (manufacturer_id IS NOT NULL))
);
CREATE UNIQUE INDEX users_username_idx ON users (lower(username));

-- Bearer tokens are stored only as SHA-256 hashes.
CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE login_failures (
    username     text NOT NULL,
    failed_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_idx ON login_failures (lower(username), failed_at);

-- The weekly order cycle --------------------------------------------------------------------------

CREATE TABLE cycles (
    id         bigserial PRIMARY KEY,
    week_start date NOT NULL UNIQUE CHECK (extract(isodow FROM week_start) = 1),  -- Monday
    status     text NOT NULL DEFAULT 'planning' CHECK (status IN ('planning', 'open', 'closed')),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One order window per order day of a cycle: outlets whose fixed order day is order_day order in it.
CREATE TABLE order_windows (
    cycle_id  bigint NOT NULL REFERENCES cycles (id),
    order_day smallint NOT NULL CHECK (order_day BETWEEN 1 AND 7),
    opens_at  timestamptz NOT NULL,
    closes_at timestamptz NOT NULL CHECK (closes_at > opens_at),
    closed    boolean NOT NULL DEFAULT false,      -- cut-off processed
    PRIMARY KEY (cycle_id, order_day)
);

-- The planner's supply plan (货源): which brands are on sale in a cycle and how much scarce supply exists.
CREATE TABLE supply_plans (
    cycle_id        bigint NOT NULL REFERENCES cycles (id),
    brand_id        bigint NOT NULL REFERENCES brands (id),
    on_sale         boolean NOT NULL DEFAULT true,
    supply_cartons  integer CHECK (supply_cartons >= 0),         -- NULL: not rationed
    per_outlet_cap  integer CHECK (per_outlet_cap >= 0),         -- NULL: no cap
    allocation_mode text,                                        -- grade, grade_within, price_band, selected, demand
    published_at    timestamptz,
    published_by    bigint REFERENCES users (id),
    PRIMARY KEY (cycle_id, brand_id)
);

-- Per-outlet limits (限量). used_cartons is what live orders were granted; the CHECK makes
-- overselling impossible whatever the application does.
CREATE TABLE outlet_limits (
    cycle_id      bigint NOT NULL,
    brand_id      bigint NOT NULL,
    outlet_id     bigint NOT NULL REFERENCES outlets (id),
    limit_cartons integer NOT NULL CHECK (limit_cartons >= 0),
    used_cartons  integer NOT NULL DEFAULT 0 CHECK (used_cartons >= 0 AND used_cartons <= limit_cartons),
    source        text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'allocation')),
    allocation_id text,
    explanation   text NOT NULL DEFAULT '',
    PRIMARY KEY (cycle_id, brand_id, outlet_id),
    FOREIGN KEY (cycle_id, brand_id) REFERENCES supply_plans (cycle_id, brand_id)
);
CREATE INDEX outlet_limits_outlet_idx ON outlet_limits (outlet_id, cycle_id);

CREATE TABLE orders (
    id             bigserial PRIMARY KEY,
    outlet_id      bigint NOT NULL REFERENCES outlets (id),
    cycle_id       bigint NOT NULL REFERENCES cycles (id),
    status         text NOT NULL CHECK (status IN
                      ('draft', 'submitted', 'confirmed', 'paid', 'delivered', 'cancelled', 'failed')),
    failure_reason text,
    total_cents    bigint NOT NULL DEFAULT 0 CHECK (total_cents >= 0),
    created_by     bigint REFERENCES users (id),
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    submitted_at   timestamptz,
    confirmed_at   timestamptz,
    paid_at        timestamptz,
    delivered_at   timestamptz,
    cancelled_at   timestamptz,
    CHECK ((status = 'failed') = (failure_reason IS NOT NULL))
);
-- At most one live order per outlet and cycle: edits change it, they do not add another.
CREATE UNIQUE INDEX orders_live_idx ON orders (outlet_id, cycle_id) WHERE status NOT IN ('cancelled', 'failed');
CREATE INDEX orders_cycle_idx ON orders (cycle_id, status);

-- requested is what the retailer wanted (the uncensored demand signal); granted what the limit allowed.
CREATE TABLE order_lines (
    order_id          bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    brand_id          bigint NOT NULL REFERENCES brands (id),
    requested_cartons integer NOT NULL CHECK (requested_cartons > 0),
    limit_cartons     integer CHECK (limit_cartons >= 0),        -- remaining limit when ordered; NULL if none
    granted_cartons   integer NOT NULL CHECK (granted_cartons >= 0 AND granted_cartons <= requested_cartons),
    delivered_cartons integer CHECK (delivered_cartons >= 0 AND delivered_cartons <= granted_cartons),
    price_cents       bigint NOT NULL CHECK (price_cents >= 0),  -- wholesale per carton when ordered
    limited_reason    text CHECK (limited_reason IN ('limit', 'cap', 'refused', 'not_on_sale')),
    PRIMARY KEY (order_id, brand_id)
);

-- Idempotency keys, scoped to the user. The first request's response is replayed for the same key and
-- body; request_hash tells a different body apart.
CREATE TABLE idempotency_keys (
    user_id         bigint NOT NULL REFERENCES users (id),
    key             text NOT NULL,
    request_hash    bytea NOT NULL,
    state           text NOT NULL CHECK (state IN ('running', 'done')),
    response_status integer,
    response_body   bytea,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (expires_at);

-- Transactional outbox: facts to relay to ClickHouse, written with the state change they record.
CREATE TABLE outbox (
    id         bigserial PRIMARY KEY,
    topic      text NOT NULL,              -- e.g. sales_line, outlet_dim, brand_dim
    payload    jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    relayed_at timestamptz,
    batch_id   text
);
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE relayed_at IS NULL;

-- Upstream: warehouse, manufacturers' arrival plans, stock limits -----------------------------------

CREATE TABLE warehouse_stock (
    brand_id    bigint NOT NULL REFERENCES brands (id),
    as_of       date NOT NULL,
    cartons     integer NOT NULL CHECK (cartons >= 0),
    PRIMARY KEY (brand_id, as_of)
);

-- Upper and lower stock limits per brand, agreed with the manufacturer.
CREATE TABLE stock_limits (
    brand_id      bigint PRIMARY KEY REFERENCES brands (id),
    lower_cartons integer NOT NULL CHECK (lower_cartons >= 0),
    upper_cartons integer NOT NULL,
    agreed_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (upper_cartons >= lower_cartons)
);

CREATE TABLE arrival_plans (
    id              bigserial PRIMARY KEY,
    manufacturer_id bigint NOT NULL REFERENCES manufacturers (id),
    brand_id        bigint NOT NULL REFERENCES brands (id),
    arrives_on      date NOT NULL,
    cartons         integer NOT NULL CHECK (cartons > 0),
    submitted_by    bigint REFERENCES users (id),
    submitted_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX arrival_plans_brand_idx ON arrival_plans (brand_id, arrives_on);

-- Monthly customer satisfaction survey scores.
CREATE TABLE satisfaction_scores (
    outlet_id bigint NOT NULL REFERENCES outlets (id),
    month     date NOT NULL CHECK (extract(day FROM month) = 1),
    score     numeric(4, 1) NOT NULL CHECK (score BETWEEN 0 AND 100),
    PRIMARY KEY (outlet_id, month)
);
