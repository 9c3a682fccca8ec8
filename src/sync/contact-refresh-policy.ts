/**
 * However slowly the mailbox grows, a backfill that has read something new recomputes at least
 * this often. Under Google's 2026 quota a mailbox is read at about 5 messages a second, so the
 * doublings below come hours apart (48,000 to 96,000 messages: 2.7 hours), and people found in
 * older mail would wait that long to appear. Each such recompute reads at most the mailbox read
 * so far, at most once in this long: for a million messages, about 10 core-seconds in 30 minutes.
 */
export const REFRESH_AT_LEAST_EVERY_MS = 30 * 60_000;

/**
 * However fast the mailbox grows, a backfill recomputes at most this often between its first
 * chunk and its end. Where reading outpaces it (a project with a raised quota; the ingest bench
 * with the quota off), a doubling comes every few seconds, and each recompute reads again the
 * histories the last one read: work no one sees, since contacts a minute old are fresh enough for
 * a backfill that is still reading.
 */
export const REFRESH_AT_MOST_EVERY_MS = 60_000;

/**
 * Whether a backfill that has listed `listed` messages recomputes its dirty contacts, given
 * `refreshedListed` at the last recompute, `sinceLastMs` ago: each time the mailbox read so far
 * has doubled, if REFRESH_AT_MOST_EVERY_MS has passed since the last one, and in any case
 * REFRESH_AT_LEAST_EVERY_MS after it. A close contact's history is then read O(log n) times at
 * most, and the reads add up to at most twice the mailbox: linear, where a recompute every chunk
 * read it once per chunk (quadratic). A backfill faster than a doubling a minute reads it fewer
 * times still: once in its first chunk, once a minute at most, and once at its end. syncAccount
 * asks at the start of each chunk and runs the recompute beside the chunk; the first chunk
 * recomputes before it ends, so a new user sees people after a minute, and the backfill's end
 * always does (docs/decisions/0010, 0011).
 */
export function isContactRefreshDue(listed: number, refreshedListed: number, sinceLastMs: number): boolean {
  if (refreshedListed === 0) return true;
  if (listed <= refreshedListed) return false;
  if (sinceLastMs >= REFRESH_AT_LEAST_EVERY_MS) return true;
  return listed >= 2 * refreshedListed && sinceLastMs >= REFRESH_AT_MOST_EVERY_MS;
}
