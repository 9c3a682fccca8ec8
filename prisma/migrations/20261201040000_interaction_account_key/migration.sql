-- An interaction's user is its account's user: one composite foreign key checks both, where a key
-- per column cost every stored message two checks (docs/decisions/0011). Deleting the user still
-- deletes the rows (through the account).

-- CreateIndex
CREATE UNIQUE INDEX "mail_accounts_id_userId_key" ON "mail_accounts"("id", "userId");

-- DropForeignKey
ALTER TABLE "interactions" DROP CONSTRAINT "interactions_userId_fkey";

-- DropForeignKey
ALTER TABLE "interactions" DROP CONSTRAINT "interactions_accountId_fkey";

-- AddForeignKey
ALTER TABLE "interactions" ADD CONSTRAINT "interactions_accountId_userId_fkey" FOREIGN KEY ("accountId", "userId") REFERENCES "mail_accounts"("id", "userId") ON DELETE CASCADE ON UPDATE CASCADE;
