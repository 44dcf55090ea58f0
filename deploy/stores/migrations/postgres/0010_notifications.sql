-- Notifications: what needs a retailer's attention (the order window closes soon and nothing is
-- ordered, an order failed at cut-off, a new limit, a new product on sale), queued for delivery to an
-- outside gateway (an SMS or WeChat webhook). A notification is written in the transaction of the fact
-- that causes it (the cut-off, the publication of limits), or by the reminder scan, whose ids make it
-- once per outlet and window. The sender claims due rows with SELECT … FOR UPDATE SKIP LOCKED and
-- holds each by token until next_attempt_at (its lease), so that two instances never send one at once.
CREATE TABLE notifications (
    id              text PRIMARY KEY,                -- stable event id: the receiver's idempotency key
    outlet_id       bigint NOT NULL REFERENCES outlets (id),
    kind            text NOT NULL CHECK (kind IN ('window_closing', 'order_failed', 'new_limit', 'new_product')),
    data            jsonb NOT NULL,                  -- an object of strings, the facts the message is made from
    created_at      timestamptz NOT NULL,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL,            -- when pending: due from then; while claimed: the lease's end
    token           text,                            -- the attempt that holds the claim
    last_error      text,
    finished_at     timestamptz,                     -- sent or dead-lettered
    CHECK ((state = 'pending') = (finished_at IS NULL))
);
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE state = 'pending';
CREATE INDEX notifications_outlet_idx ON notifications (outlet_id, created_at);
-- The latest new-limit notice of an outlet for a brand and cycle, so that a plan published again
-- unchanged is no news.
CREATE INDEX notifications_limit_idx ON notifications (outlet_id, (data->>'brand'), (data->>'cycle'), created_at)
    WHERE kind = 'new_limit';
CREATE INDEX notifications_finished_idx ON notifications (state, finished_at) WHERE state <> 'pending';

-- A published allocation's limits are announced to its outlets (up to 300,000 of them) after it
-- commits, not in its transaction, which holds the brand's supply plan row and so its orders: the
-- publication records one fan-out row, and the notice scan expands it into one notification per
-- outlet (ids new_limit:<allocation id>:<outlet id>) in a transaction of its own.
CREATE TABLE notice_fanouts (
    allocation_id text PRIMARY KEY,
    cycle_id      bigint NOT NULL REFERENCES cycles (id),
    brand_id      bigint NOT NULL REFERENCES brands (id),
    created_at    timestamptz NOT NULL,
    expanded_at   timestamptz
);
CREATE INDEX notice_fanouts_pending_idx ON notice_fanouts (created_at) WHERE expanded_at IS NULL;
