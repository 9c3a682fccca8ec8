import { backoffDelay } from '../lib/backoff.ts';
import { isAppError, ProviderError } from '../lib/errors.ts';

export type SyncDecision =
  | { action: 'retry'; reason: string; retryAfterMs: number | null }
  | { action: 'reconnect'; reason: string }
  | { action: 'fail'; reason: string };

/**
 * The one place that decides what a sync error means (DESIGN.md, "Provider seam"):
 * try again later, stop until the user reconnects, or fail this job with a clear reason.
 */
export function decideSyncError(error: unknown): SyncDecision {
  const reason = error instanceof Error ? error.message : String(error);
  if (error instanceof ProviderError) {
    switch (error.code) {
      case 'AUTH_REVOKED':
        return { action: 'reconnect', reason };
      case 'INSUFFICIENT_SCOPE':
        return { action: 'reconnect', reason: `${reason}; reconnect and grant every permission asked for` };
      case 'RATE_LIMITED':
      case 'TEMPORARY':
        return { action: 'retry', reason, retryAfterMs: error.retryAfterMs };
      case 'CURSOR_INVALID':
      case 'NOT_FOUND':
      case 'UNKNOWN':
        return { action: 'fail', reason };
    }
  }
  // Our own errors say whether trying again can help; anything else (a dropped database
  // connection, a Redis restart) is treated as passing.
  if (isAppError(error))
    return error.retryable ? { action: 'retry', reason, retryAfterMs: null } : { action: 'fail', reason };
  return { action: 'retry', reason, retryAfterMs: null };
}

/**
 * How long a failed sync job waits before its attempt number `attemptsMade + 1`: the queue's
 * exponential backoff from `baseMs` (doubling, the wait between half and all of the step), and
 * never less than the provider's Retry-After when it gave one. Google's pause is kept in Redis
 * by the quota governor too, but a job retried before it ends would only hold a worker and the
 * account's lease while it waits.
 */
export function syncRetryDelay(
  attemptsMade: number,
  error: unknown,
  baseMs: number,
  random: () => number = Math.random,
): number {
  const decision = decideSyncError(error);
  const asked = decision.action === 'retry' ? (decision.retryAfterMs ?? 0) : 0;
  const backoff = backoffDelay(attemptsMade - 1, baseMs, Number.POSITIVE_INFINITY, random);
  return Math.ceil(Math.max(backoff, asked));
}
