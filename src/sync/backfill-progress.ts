import { formatDuration } from '../digest/format-relative.ts';
import type { MailAccount, PrismaClient } from '../lib/prisma.ts';
import type { BackfillPage } from '../providers/types.ts';

/**
 * How far a backfill has read, in whole percent, or null when its size is unknown. The total is
 * an estimate (backfillTotalAfter), so the figure never claims 100 before the backfill is done.
 */
export function backfillPercent(listed: number, total: number | null): number | null {
  if (!total || total <= 0) return null;
  return Math.min(99, Math.floor((listed / total) * 100));
}

/**
 * The backfill's total once a page is saved: what `listed` is measured against. It starts as the
 * provider's bound (Gmail: the whole mailbox, though BACKFILL_DAYS may stop the backfill long
 * before its start); a page that brings the provider's estimate for the backfill itself (Gmail:
 * the listing's resultSizeEstimate) lowers it to that. An estimate is never taken below what is
 * already listed, and once the listing passes the total, the total grows to it, so progress never
 * reads over 100%. A finished backfill's total is what it listed: it ends at 100%.
 */
export function backfillTotalAfter(
  total: number | null,
  page: Pick<BackfillPage, 'listed' | 'done' | 'total'>,
): number | null {
  if (page.done) return page.listed;
  let next = total;
  // An estimate no higher than what is already listed is plainly short: it is ignored.
  if (page.total !== undefined && page.total > page.listed) {
    next = next === null ? page.total : Math.min(next, page.total);
  }
  return next !== null && next < page.listed ? page.listed : next;
}

/** Too short a run for its rate to mean anything: the first page alone, or a chunk's start. */
const MIN_ELAPSED_MS = 60_000;

/**
 * About how many seconds the backfill has left, at the rate it has gone since it began, or null
 * before a minute of it, without a known size or once the estimated size is reached. As good as
 * the total's estimate (backfillTotalAfter); a pause (workers down) makes it err long, never short.
 */
export function backfillSecondsLeft(
  account: Pick<MailAccount, 'backfillListed' | 'backfillTotal' | 'backfillStartedAt'>,
  now: Date,
): number | null {
  const { backfillListed: listed, backfillTotal: total, backfillStartedAt: startedAt } = account;
  if (!startedAt || !total || listed <= 0 || listed >= total) return null;
  const elapsedMs = now.getTime() - startedAt.getTime();
  if (elapsedMs < MIN_ELAPSED_MS) return null;
  return Math.round(((total - listed) * elapsedMs) / listed / 1000);
}

/** A backfill's progress in a few words: "37%, about 3 h left", "37%", "1,200 messages". */
export function backfillProgressText(
  account: Pick<MailAccount, 'backfillListed' | 'backfillTotal' | 'backfillStartedAt'>,
  now: Date,
): string {
  const percent = backfillPercent(account.backfillListed, account.backfillTotal);
  if (percent === null) return `${account.backfillListed.toLocaleString('en')} messages`;
  const left = backfillSecondsLeft(account, now);
  return left === null ? `${percent}%` : `${percent}%, about ${formatDuration(left)} left`;
}

/** A mailbox whose first backfill is still going: what touchbase says comes from part of it. */
export interface AccountReading {
  email: string;
  provider: 'gmail' | 'outlook';
  /** Messages listed so far. */
  listed: number;
  /** Of the backfill's estimated total, where there is one. */
  percent: number | null;
  /** About how long it has left (backfillSecondsLeft). */
  secondsLeft: number | null;
}

type ReadingColumns = Pick<
  MailAccount,
  'email' | 'provider' | 'backfillListed' | 'backfillTotal' | 'backfillStartedAt'
>;

/**
 * The user's connected mailboxes that were never synced to the end: their first backfill is
 * going or has not started. A resync (expired history) reads again into rows already there, so
 * it does not count. The digest reads the same in its one statement (load-digest-facts.ts).
 */
export async function readingAccounts(
  prisma: PrismaClient,
  userId: string,
  now: Date,
): Promise<AccountReading[]> {
  const accounts = await prisma.mailAccount.findMany({
    where: { userId, status: 'ACTIVE', backfillDoneAt: null, lastSyncedAt: null },
    orderBy: { email: 'asc' },
  });
  return accounts.map((account) => toAccountReading(account, now));
}

export function toAccountReading(account: ReadingColumns, now: Date): AccountReading {
  return {
    email: account.email,
    provider: account.provider,
    listed: account.backfillListed,
    percent: backfillPercent(account.backfillListed, account.backfillTotal),
    secondsLeft: backfillSecondsLeft(account, now),
  };
}

/**
 * What a list or digest drawn from such a mailbox should say. The backfill reads newest first,
 * so replies owed and awaited are right; people last in touch long ago may not be reached yet.
 */
export function readingSentence(account: AccountReading): string {
  const until = 'Until it is done, people you have not been in touch with lately may be missing here.';
  if (account.listed === 0) return `touchbase has not started reading ${account.email} yet. ${until}`;
  const sofar =
    account.percent !== null
      ? `${account.percent}% so far`
      : `${account.listed.toLocaleString('en')} messages so far`;
  const left = account.secondsLeft !== null ? `, about ${formatDuration(account.secondsLeft)} left` : '';
  return `touchbase is still reading the past mail of ${account.email} (${sofar}${left}). ${until}`;
}
