-- AlterTable
ALTER TABLE "mail_accounts" ADD COLUMN     "backfillRefreshedListed" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "dirty_addresses" (
    "userId" UUID NOT NULL,
    "address" TEXT NOT NULL,
    "seq" BIGSERIAL NOT NULL,

    CONSTRAINT "dirty_addresses_pkey" PRIMARY KEY ("userId","address")
);

-- AddForeignKey
ALTER TABLE "dirty_addresses" ADD CONSTRAINT "dirty_addresses_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

