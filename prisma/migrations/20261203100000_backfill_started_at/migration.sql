-- When a backfill began, for about how long it has left (touchbase accounts, the digest, the people list).
ALTER TABLE "mail_accounts" ADD COLUMN "backfillStartedAt" TIMESTAMP(3);
