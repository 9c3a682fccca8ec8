-- AlterEnum
ALTER TYPE "DigestStatus" ADD VALUE 'EMPTY';

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "digestPaused" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "emptyDigest" TEXT NOT NULL DEFAULT 'skip';

-- CreateTable
CREATE TABLE "digest_replies" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "accountId" UUID NOT NULL,
    "providerMessageId" TEXT NOT NULL,
    "internetMessageId" TEXT,
    "digestId" UUID NOT NULL,
    "applied" TEXT[],
    "notUnderstood" TEXT[],
    "confirmationMessageId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "digest_replies_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "follow_up_dismissals" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "threadId" TEXT NOT NULL,
    "upTo" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "follow_up_dismissals_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "digest_replies_userId_idx" ON "digest_replies"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "digest_replies_accountId_providerMessageId_key" ON "digest_replies"("accountId", "providerMessageId");

-- CreateIndex
CREATE UNIQUE INDEX "follow_up_dismissals_userId_threadId_key" ON "follow_up_dismissals"("userId", "threadId");

-- AddForeignKey
ALTER TABLE "digest_replies" ADD CONSTRAINT "digest_replies_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "follow_up_dismissals" ADD CONSTRAINT "follow_up_dismissals_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Interactions are found by the canonical key of each counterparty (src/mail/canonical-address.ts:
-- Gmail ignores dots and +tags, googlemail.com is gmail.com), so every variant of one mailbox
-- meets its person. Existing rows are backfilled with the same rule.
DROP INDEX "interactions_counterparties_idx";

ALTER TABLE "interactions" ADD COLUMN "counterpartyKeys" TEXT[];

UPDATE "interactions" SET "counterpartyKeys" = ARRAY(
  SELECT CASE
    WHEN split_part(a, '@', 2) IN ('gmail.com', 'googlemail.com')
      AND replace(split_part(split_part(a, '@', 1), '+', 1), '.', '') <> ''
    THEN replace(split_part(split_part(a, '@', 1), '+', 1), '.', '') || '@gmail.com'
    ELSE a
  END
  FROM unnest("counterparties") WITH ORDINALITY AS t(a, i) ORDER BY i
);

CREATE INDEX "interactions_counterpartyKeys_idx" ON "interactions" USING GIN ("counterpartyKeys");
