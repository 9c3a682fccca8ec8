-- AlterTable
ALTER TABLE "pending_digest_replies" ADD COLUMN     "failedRounds" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "retryAt" TIMESTAMP(3);
