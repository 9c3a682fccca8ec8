-- AlterTable
ALTER TABLE "mail_accounts" ADD COLUMN     "backfillChunks" INTEGER NOT NULL DEFAULT 0;
