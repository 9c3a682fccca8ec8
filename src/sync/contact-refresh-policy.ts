/**
 * However slowly the mailbox grows, a backfill that has read something new recomputes at least
 * this often. Under Google's 2026 quota a mailbox is read at about 5 messages a second, so the
 * doublings below come hours apart (48,000 to 96,000 messages: 2.7 hours), and people found in
 * older mail would wait that long to appear. Each such recompute reads at most the mailbox read
 * so far, at most once in this long: for a million messages, about 10 core-seconds in 30 minutes.
 */
export const REFRESH_AT_LEAST_EVERY_MS = 30 * 60_000;

/**
 * Whether a backfill that has listed `listed` messages recomputes its dirty contacts, given
 * `refreshedListed` at the last recompute, `sinceLastMs` ago: each time the mailbox read so far
 * has doubled, or REFRESH_AT_LEAST_EVERY_MS after the last one. A close contact's history is then
 * read O(log n) times where the backfill is fast, and the reads add up to at most twice the
 * mailbox: linear, where a recompute every chunk read it once per chunk (quadratic). syncAccount
 * asks at the start of each chunk and runs the recompute beside the chunk; the first chunk
 * recomputes before it ends, so a new user sees people after a minute, and the backfill's end
 * always does (docs/decisions/0010, 0011).
 */
export function isContactRefreshDue(listed: number, refreshedListed: number, sinceLastMs = 0): boolean {
  return (
    refreshedListed === 0 ||
    listed >= 2 * refreshedListed ||
    (listed > refreshedListed && sinceLastMs >= REFRESH_AT_LEAST_EVERY_MS)
  );
}
