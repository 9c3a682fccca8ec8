/**
 * A provider request that failed for a while (5xx, a dropped connection, a timeout) is tried again
 * this many times, the waits doubling up to MAX_BACKOFF_MS (Google's advice for 5xx: up to about
 * half a minute; Graph's the same); past that the job fails and the queue's own backoff takes over.
 */
export const TEMPORARY_RETRIES = 5;
export const MAX_BACKOFF_MS = 32_000;

/**
 * Bounded exponential backoff with jitter: the step doubles from `baseMs` up to `capMs`, and the
 * wait is half the step plus a random share of the other half, so it still grows every attempt
 * while processes that failed together do not all come back at the same moment.
 */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random = Math.random): number {
  const step = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt));
  return step / 2 + random() * (step / 2);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
