-- A stored interaction marks its people dirty (dirty_addresses), whoever stores it and however:
-- the statement that stored the rows marks them, so a worker killed between storing a page and
-- recomputing its contacts still leaves them to the next recompute. storeInteractions did this
-- in its own statement; a page now goes as COPY (docs/decisions/0020), which has no RETURNING and
-- no room for a second statement, so the mark moved here. People are the counterparties of
-- person-to-person rows, and the addresses a bounce reported as failed (which may stop them
-- being contacts). Marks are taken in address order, as the recompute clears them, so the two
-- can wait on each other but never deadlock; a new mark on a marked address bumps its seq, so a
-- recompute that read the address before this row leaves the mark for the next one.

CREATE FUNCTION interactions_mark_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO dirty_addresses ("userId", address)
    SELECT DISTINCT w."userId", a.address
    FROM written w, unnest(w.counterparties) AS a(address)
    WHERE w."automatedReason" IS NULL OR w."automatedReason" = 'bounce'
    ORDER BY 1, 2
  ON CONFLICT ("userId", address) DO UPDATE SET seq = nextval('dirty_addresses_seq_seq');
  RETURN NULL;
END $$;

CREATE TRIGGER interactions_mark_dirty
  AFTER INSERT ON "interactions" REFERENCING NEW TABLE AS written
  FOR EACH STATEMENT EXECUTE FUNCTION interactions_mark_dirty();
