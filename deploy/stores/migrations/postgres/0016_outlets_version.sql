-- outlets_version counts the statements that changed what an allocation reads of the outlets (which
-- outlets there are, and their licence, grade, status, area, market type, locality, business format,
-- credit level and benchmark flag): the allocation's kept outlets (forecast/postgres.Store.Roster)
-- are read again only when it moved, instead of summing the whole table to find out. It is bumped in
-- the writing statement's transaction, so a reader's snapshot sees the counter and the rows it
-- counts together. Balances and every other column leave it alone (a cut-off paying orders does not
-- make the next allocation preview read 100,000 outlets again).
--
-- One row: statements that change those columns wait on each other's commit (grades, assignments,
-- new outlets: a planner's or an import's work, never an order's).
CREATE TABLE outlets_version (
    one     boolean PRIMARY KEY DEFAULT true CHECK (one),
    version bigint NOT NULL
);
INSERT INTO outlets_version (one, version) VALUES (true, 1);

CREATE FUNCTION outlets_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE outlets_version SET version = version + 1;
    RETURN NULL;
END
$$;

-- FOR EACH STATEMENT: one bump per INSERT (COPY included), DELETE, TRUNCATE or UPDATE naming one of
-- the columns, however many rows it touches (none included).
CREATE TRIGGER outlets_version_bump
    AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF licence_no, grade, status, area, market_type, locality,
        business_format, credit_level, benchmark
    ON outlets FOR EACH STATEMENT EXECUTE FUNCTION outlets_version_bump();
