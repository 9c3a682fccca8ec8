/**
 * Whether a backfill that has listed `listed` messages recomputes its dirty contacts, given
 * `refreshedListed` at the last recompute: each time the mailbox read so far has doubled. A close
 * contact's history is then read O(log n) times, and the reads add up to at most twice the
 * mailbox: linear, where a recompute every chunk read it once per chunk (quadratic). syncAccount
 * asks at the start of each chunk and runs the recompute beside the chunk; the first chunk
 * recomputes before it ends, so a new user sees people after a minute, and the backfill's end
 * always does (docs/decisions/0010, 0011).
 */
export function isContactRefreshDue(listed: number, refreshedListed: number): boolean {
  return refreshedListed === 0 || listed >= 2 * refreshedListed;
}
