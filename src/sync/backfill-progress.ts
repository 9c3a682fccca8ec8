import type { PrismaClient } from '../lib/prisma.ts';

/**
 * How far a backfill has read, in whole percent, or null when the mailbox's size is unknown.
 * The total is the whole mailbox's, an upper bound where BACKFILL_DAYS stops it earlier, so the
 * figure never claims 100 before the backfill is done.
 */
export function backfillPercent(listed: number, total: number | null): number | null {
  if (!total || total <= 0) return null;
  return Math.min(99, Math.floor((listed / total) * 100));
}

/** A mailbox whose first backfill is still going: what touchbase says comes from part of it. */
export interface AccountReading {
  email: string;
  provider: 'gmail' | 'outlook';
  /** Messages listed so far. */
  listed: number;
  /** Of the mailbox, where its size is known. */
  percent: number | null;
}

/**
 * The user's connected mailboxes that were never synced to the end: their first backfill is
 * going or has not started. A resync (expired history) reads again into rows already there, so
 * it does not count. The digest reads the same in its one statement (load-digest-facts.ts).
 */
export async function readingAccounts(prisma: PrismaClient, userId: string): Promise<AccountReading[]> {
  const accounts = await prisma.mailAccount.findMany({
    where: { userId, status: 'ACTIVE', backfillDoneAt: null, lastSyncedAt: null },
    orderBy: { email: 'asc' },
  });
  return accounts.map((a) => toAccountReading(a.email, a.provider, a.backfillListed, a.backfillTotal));
}

export function toAccountReading(
  email: string,
  provider: 'gmail' | 'outlook',
  listed: number,
  total: number | null,
): AccountReading {
  return { email, provider, listed, percent: backfillPercent(listed, total) };
}

/**
 * What a list or digest drawn from such a mailbox should say. The backfill reads newest first,
 * so replies owed and awaited are right; people last in touch long ago may not be reached yet.
 */
export function readingSentence(account: AccountReading): string {
  const until = 'Until it is done, people you have not been in touch with lately may be missing here.';
  if (account.percent !== null)
    return `touchbase is still reading the past mail of ${account.email} (${account.percent}% so far). ${until}`;
  if (account.listed > 0)
    return `touchbase is still reading the past mail of ${account.email} (${account.listed.toLocaleString('en')} messages so far). ${until}`;
  return `touchbase has not started reading ${account.email} yet. ${until}`;
}
