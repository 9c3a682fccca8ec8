/**
 * How far a backfill has read, in whole percent, or null when the mailbox's size is unknown.
 * The total is the whole mailbox's, an upper bound where BACKFILL_DAYS stops it earlier, so the
 * figure never claims 100 before the backfill is done.
 */
export function backfillPercent(listed: number, total: number | null): number | null {
  if (!total || total <= 0) return null;
  return Math.min(99, Math.floor((listed / total) * 100));
}
