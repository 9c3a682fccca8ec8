-- AlterTable
ALTER TABLE "mail_accounts" ADD COLUMN     "backfillListed" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "backfillTotal" INTEGER;

