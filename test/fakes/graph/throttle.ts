export interface ThrottleLimits {
  /** per app per mailbox in the sliding window; Outlook's is 10,000 */
  requestsPerWindow: number;
  /** Outlook's is 10 minutes */
  windowMs: number;
  /** Outlook's is 4 */
  concurrent: number;
  /**
   * Fixed Retry-After for every 429 (tests that want short or long waits). Unset: 1 for the
   * concurrency limit (as Exchange answers) and the time until the window frees a slot for the rate.
   */
  retryAfterSeconds?: number;
}

export const OUTLOOK_LIMITS: ThrottleLimits = { requestsPerWindow: 10_000, windowMs: 600_000, concurrent: 4 };

export type Admission =
  | { ok: true; release: () => void }
  | { ok: false; kind: 'concurrency' | 'rate'; retryAfterSeconds: number };

/**
 * The Outlook service limits for one app on one mailbox: a sliding window of admitted requests
 * and a count of requests in flight. Refused requests do not enter the window, so a client
 * that waits Retry-After gets through.
 */
export class Throttle {
  private readonly admitted: number[] = [];
  private head = 0;
  inFlight = 0;
  maxInFlight = 0;

  constructor(public limits: ThrottleLimits) {}

  /** `holdSlot`: whether the request occupies a concurrency slot (batch items ride on their envelope's). */
  admit(now: number, holdSlot = true): Admission {
    const { windowMs, requestsPerWindow, concurrent } = this.limits;
    if (holdSlot && this.inFlight >= concurrent) {
      return {
        ok: false,
        kind: 'concurrency',
        retryAfterSeconds: this.limits.retryAfterSeconds ?? 1,
      };
    }
    while (this.head < this.admitted.length && (this.admitted[this.head] ?? 0) <= now - windowMs)
      this.head += 1;
    if (this.head > 4096) {
      this.admitted.splice(0, this.head);
      this.head = 0;
    }
    const inWindow = this.admitted.length - this.head;
    if (inWindow >= requestsPerWindow) {
      const oldest = this.admitted[this.head] ?? now;
      return {
        ok: false,
        kind: 'rate',
        retryAfterSeconds: Math.max(1, Math.ceil((oldest + windowMs - now) / 1000)),
      };
    }
    this.admitted.push(now);
    if (!holdSlot) return { ok: true, release: () => {} };
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.inFlight -= 1;
      },
    };
  }
}
