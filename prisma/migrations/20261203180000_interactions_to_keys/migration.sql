-- Received mail none of the user's known addresses was in the To of keeps the canonical keys of its
-- To, so learning an alias later can judge the row again (docs/decisions/0003). Rows stored before
-- this migration have none.
ALTER TABLE "interactions" ADD COLUMN "toKeys" TEXT[];
