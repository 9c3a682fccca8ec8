-- CreateTable
CREATE TABLE "pending_digest_replies" (
    "accountId" UUID NOT NULL,
    "providerMessageId" TEXT NOT NULL,
    "candidate" JSONB NOT NULL,
    "foundAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "pending_digest_replies_pkey" PRIMARY KEY ("accountId","providerMessageId")
);

-- AddForeignKey
ALTER TABLE "pending_digest_replies" ADD CONSTRAINT "pending_digest_replies_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "mail_accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

