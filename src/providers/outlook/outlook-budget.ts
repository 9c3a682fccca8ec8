import type { Redis } from 'ioredis';
import { type ConcurrencyLease, createConcurrencyLease } from '../../lib/concurrency-lease.ts';
import { createQuotaGovernor, type QuotaGovernor } from '../../lib/quota-governor.ts';
import { OUTLOOK_CONCURRENCY } from './outlook-provider.ts';

/** Graph's mailbox limits for one app: 10,000 requests per 10 minutes, 4 at once. */
const REQUESTS_PER_MINUTE = 10_000 / 10;

/**
 * The mailbox's Graph budget in Redis, shared by every worker process: a request bucket and a
 * concurrency lease. Graph counts a 10-minute window: spending 90% of the rate with a burst of a
 * tenth of a minute keeps any 10 minutes at 9,100 requests, under the 10,000 with room for a retry.
 */
export function outlookBudget(
  redis: Redis,
  key: string,
): { governor: QuotaGovernor; lease: ConcurrencyLease } {
  return {
    governor: createQuotaGovernor(redis, key, {
      unitsPerMinute: REQUESTS_PER_MINUTE,
      safety: 0.9,
      burstShare: 0.1,
      // One unit per chain of pages, spent while its request is out: the next page goes the
      // moment the nextLink is in (a second at most, so a penalty is missed by a moment only).
      ahead: { units: OUTLOOK_CONCURRENCY, maxAgeMs: 1_000 },
    }),
    lease: createConcurrencyLease(redis, `${key}:concurrency`, { limit: OUTLOOK_CONCURRENCY }),
  };
}
