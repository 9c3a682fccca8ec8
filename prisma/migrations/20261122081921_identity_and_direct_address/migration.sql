-- Addresses get the key Gmail variants share; existing rows are backfilled with the same rule as
-- src/mail/canonical-address.ts (dots and +tags ignored at gmail.com / googlemail.com).
ALTER TABLE "contact_addresses" ADD COLUMN "canonical" TEXT,
ADD COLUMN "source" TEXT NOT NULL DEFAULT 'seen';

UPDATE "contact_addresses" SET "canonical" = CASE
  WHEN split_part("address", '@', 2) IN ('gmail.com', 'googlemail.com')
    AND replace(split_part(split_part("address", '@', 1), '+', 1), '.', '') <> ''
  THEN replace(split_part(split_part("address", '@', 1), '+', 1), '.', '') || '@gmail.com'
  ELSE "address"
END;

ALTER TABLE "contact_addresses" ALTER COLUMN "canonical" SET NOT NULL;

-- AlterTable
ALTER TABLE "interactions" ADD COLUMN "addressedToUser" BOOLEAN NOT NULL DEFAULT true;

-- CreateIndex
CREATE INDEX "contact_addresses_userId_canonical_idx" ON "contact_addresses"("userId", "canonical");
