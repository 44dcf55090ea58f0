-- Idempotency keys survive a crashed instance and a client that hangs up.
-- A running request holds its key by token until lease_until; a retry after the lease takes the key
-- over when nothing committed. A request that commits an order records, in the order's own
-- transaction, the order and the status it answers (201 created, 200 replaced), so that a retry finding
-- the key still running renders that order instead of running it again. Rows written by an older
-- binary get a lease from now.
ALTER TABLE idempotency_keys
    ADD COLUMN token        text        NOT NULL DEFAULT '',
    ADD COLUMN lease_until  timestamptz NOT NULL DEFAULT now() + interval '10 seconds',
    ADD COLUMN order_id     bigint      REFERENCES orders (id) ON DELETE SET NULL,
    ADD COLUMN order_status integer     CHECK (order_status IN (200, 201));

-- idempotency_claim_lost aborts the transaction of a request whose key was taken over by a retry (its
-- lease had passed), so that the two never both commit.
CREATE FUNCTION idempotency_claim_lost() RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION 'idempotency key taken over by a retry' USING ERRCODE = 'OC409';
END
$$;
