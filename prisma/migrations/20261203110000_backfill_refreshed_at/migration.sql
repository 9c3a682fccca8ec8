-- When a backfill last recomputed its contacts: under a slow quota it does so at least every 30 minutes.
ALTER TABLE "mail_accounts" ADD COLUMN "backfillRefreshedAt" TIMESTAMP(3);
