-- order_lines' references to its order and its brand, checked once per statement instead of once per
-- row. The two foreign keys ran a query (through SPI, each with its own executor start-up) and took a
-- row lock for every line inserted: 40 for a new order of 20 lines, 6.7% of PostgreSQL's CPU on the
-- bench's orders (docs/BENCHMARKS.md). The triggers below keep what they guaranteed:
--  * every line inserted, or updated to another order or brand, names an order and a brand that exist:
--    one query per INSERT statement over the lines it inserted (and one per line moved to another
--    order or brand), which locks the rows they name FOR KEY SHARE as the foreign keys did, so that
--    no other transaction deletes them (or changes their id) before this one ends; a line naming a
--    missing one fails the statement with 23503 (foreign_key_violation) under the name of the
--    foreign key it replaces;
--  * deleting an order deletes its lines (ON DELETE CASCADE); truncating orders (TRUNCATE outlets or
--    orders ... CASCADE) truncates them;
--  * deleting a brand, or changing the id of an order or a brand, that lines name fails with 23503
--    (NO ACTION); truncating brands (TRUNCATE brands ... CASCADE, as ordercast's DeleteCatalogue does)
--    truncates the lines. Unlike the foreign keys, a TRUNCATE of orders or brands without CASCADE
--    truncates the lines too, where it failed.
ALTER TABLE order_lines DROP CONSTRAINT order_lines_order_id_fkey, DROP CONSTRAINT order_lines_brand_id_fkey;

-- order_lines_check_references fails when a line the statement inserted (new_lines) names an order or
-- a brand that does not exist, and locks those they name FOR KEY SHARE.
CREATE FUNCTION order_lines_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad text;
BEGIN
    SELECT CASE WHEN count(o.id) < count(*) THEN 'order' WHEN count(b.id) < count(*) THEN 'brand' END INTO bad
    FROM new_lines l
    LEFT JOIN LATERAL (SELECT o.id FROM orders o WHERE o.id = l.order_id FOR KEY SHARE) o ON true
    LEFT JOIN LATERAL (SELECT b.id FROM brands b WHERE b.id = l.brand_id FOR KEY SHARE) b ON true;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "order_lines" violates foreign key constraint "order_lines_%_id_fkey"', bad
            USING ERRCODE = 'foreign_key_violation', TABLE = 'order_lines', CONSTRAINT = 'order_lines_' || bad || '_id_fkey',
                DETAIL = 'An order line names an ' || bad || ' that does not exist.';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER order_lines_references_inserted AFTER INSERT ON order_lines
    REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION order_lines_check_references();

-- order_lines_check_moved does the same for a line updated to another order or brand, which nothing
-- of ordercast does (an order's statement updates a line's quantities only, and the trigger does not
-- even fire for it).
CREATE FUNCTION order_lines_check_moved() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad text;
BEGIN
    IF NOT EXISTS (SELECT FROM orders WHERE id = NEW.order_id FOR KEY SHARE) THEN
        bad := 'order';
    ELSIF NOT EXISTS (SELECT FROM brands WHERE id = NEW.brand_id FOR KEY SHARE) THEN
        bad := 'brand';
    ELSE
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'insert or update on table "order_lines" violates foreign key constraint "order_lines_%_id_fkey"', bad
        USING ERRCODE = 'foreign_key_violation', TABLE = 'order_lines', CONSTRAINT = 'order_lines_' || bad || '_id_fkey',
            DETAIL = 'An order line names an ' || bad || ' that does not exist.';
END
$$;
CREATE TRIGGER order_lines_references_moved AFTER UPDATE OF order_id, brand_id ON order_lines
    FOR EACH ROW WHEN (OLD.order_id IS DISTINCT FROM NEW.order_id OR OLD.brand_id IS DISTINCT FROM NEW.brand_id)
    EXECUTE FUNCTION order_lines_check_moved();

-- An order's lines go with it.
CREATE FUNCTION orders_delete_lines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM order_lines WHERE order_id IN (SELECT id FROM gone_orders);
    RETURN NULL;
END
$$;
CREATE TRIGGER orders_delete_lines AFTER DELETE ON orders
    REFERENCING OLD TABLE AS gone_orders FOR EACH STATEMENT EXECUTE FUNCTION orders_delete_lines();

CREATE FUNCTION order_lines_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE order_lines;
    RETURN NULL;
END
$$;
CREATE TRIGGER orders_truncate_lines AFTER TRUNCATE ON orders FOR EACH STATEMENT EXECUTE FUNCTION order_lines_truncate();
CREATE TRIGGER brands_truncate_lines AFTER TRUNCATE ON brands FOR EACH STATEMENT EXECUTE FUNCTION order_lines_truncate();

-- A brand, or the id of an order or a brand, that lines name stays (NO ACTION). TG_ARGV[0] is the
-- column of order_lines that names the table's id; the row is locked by the DELETE or UPDATE that
-- fires the trigger, so a line inserted meanwhile (which locks it FOR KEY SHARE) is committed first.
CREATE FUNCTION order_lines_keep_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    referenced boolean;
BEGIN
    EXECUTE format('SELECT EXISTS (SELECT FROM order_lines WHERE %I = $1)', TG_ARGV[0]) INTO referenced USING OLD.id;
    IF referenced THEN
        RAISE EXCEPTION 'update or delete on table "%" violates foreign key constraint "order_lines_%_fkey" on table "order_lines"',
                TG_TABLE_NAME, TG_ARGV[0]
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME, CONSTRAINT = 'order_lines_' || TG_ARGV[0] || '_fkey',
                DETAIL = format('Key (id)=(%s) is still referenced from table "order_lines".', OLD.id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER brands_keep_referenced AFTER DELETE ON brands
    FOR EACH ROW EXECUTE FUNCTION order_lines_keep_referenced('brand_id');
CREATE TRIGGER brands_keep_referenced_id AFTER UPDATE OF id ON brands
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION order_lines_keep_referenced('brand_id');
CREATE TRIGGER orders_keep_referenced_id AFTER UPDATE OF id ON orders
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION order_lines_keep_referenced('order_id');
