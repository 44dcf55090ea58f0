-- idempotency_key_held aborts the transaction of an order whose Idempotency-Key another request
-- already holds (answered, or claimed outside an order's transaction), so that nothing after it runs.
-- With idempotency_claim_lost (a request with the key is running right now) it lets an order's first
-- batch tell the two apart in one statement.
CREATE FUNCTION idempotency_key_held() RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION 'idempotency key held by another request' USING ERRCODE = 'OC410';
END
$$;
