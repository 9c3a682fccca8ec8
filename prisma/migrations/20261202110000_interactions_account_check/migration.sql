-- An interaction's account must exist and belong to the interaction's user, and deleting the
-- account (or its user) deletes its interactions. The composite foreign key did both, but checked
-- each stored row on its own: a quarter of the cost of storing a page (docs/decisions/0012).
-- These triggers check once per statement, against every row the statement wrote, with the same
-- lock a foreign key check takes, and cascade deletes and key changes as the foreign key did.
-- Prisma does not model triggers: the relation stays in schema.prisma, and its drift check still
-- passes (it never saw this foreign key either).

ALTER TABLE "interactions" DROP CONSTRAINT "interactions_accountId_userId_fkey";

-- Only the foreign key used it (the check below looks accounts up by their primary key).
DROP INDEX "mail_accounts_id_userId_key";

CREATE FUNCTION interactions_check_account() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  orphan record;
BEGIN
  -- KEY SHARE, as a foreign key check: an account being deleted meanwhile waits for this
  -- transaction (and its delete then removes these rows), or was deleted first and is not found.
  PERFORM 1 FROM mail_accounts a
    WHERE a.id IN (SELECT DISTINCT n."accountId" FROM written n)
    FOR KEY SHARE;
  SELECT n."accountId", n."userId" INTO orphan
    FROM (SELECT DISTINCT "accountId", "userId" FROM written) n
    WHERE NOT EXISTS (
      SELECT 1 FROM mail_accounts a WHERE a.id = n."accountId" AND a."userId" = n."userId")
    LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'interactions name account % of user %, which does not exist (deleted, or another user''s)',
      orphan."accountId", orphan."userId"
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER interactions_account_inserted
  AFTER INSERT ON "interactions" REFERENCING NEW TABLE AS written
  FOR EACH STATEMENT EXECUTE FUNCTION interactions_check_account();

CREATE TRIGGER interactions_account_updated
  AFTER UPDATE ON "interactions" REFERENCING NEW TABLE AS written
  FOR EACH STATEMENT EXECUTE FUNCTION interactions_check_account();

CREATE FUNCTION mail_accounts_delete_interactions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "interactions" i USING gone g WHERE i."accountId" = g.id;
  RETURN NULL;
END $$;

-- Also fires for accounts deleted by their user's cascade.
CREATE TRIGGER mail_accounts_deleted
  AFTER DELETE ON "mail_accounts" REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION mail_accounts_delete_interactions();

CREATE FUNCTION mail_accounts_rekey_interactions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "interactions" SET "accountId" = NEW.id, "userId" = NEW."userId"
    WHERE "accountId" = OLD.id;
  RETURN NULL;
END $$;

CREATE TRIGGER mail_accounts_rekeyed
  AFTER UPDATE OF id, "userId" ON "mail_accounts"
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD."userId" IS DISTINCT FROM NEW."userId")
  EXECUTE FUNCTION mail_accounts_rekey_interactions();
