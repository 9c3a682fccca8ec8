import type { Redis } from 'ioredis';
import { type ConcurrencyLease, createConcurrencyLease } from '../../lib/concurrency-lease.ts';
import { createQuotaGovernor, type QuotaGovernor } from '../../lib/quota-governor.ts';
import { OUTLOOK_CONCURRENCY } from './outlook-provider.ts';

/** Graph's mailbox limits for one app: 10,000 requests per 10 minutes, 4 at once. */
const REQUESTS_PER_MINUTE = 10_000 / 10;

/**
 * The mailbox's Graph budget in Redis, shared by every worker process: a request bucket and a
 * concurrency lease. Graph counts a 10-minute window, so a minute's worth may go at once.
 */
export function outlookBudget(
  redis: Redis,
  key: string,
): { governor: QuotaGovernor; lease: ConcurrencyLease } {
  return {
    governor: createQuotaGovernor(redis, key, { unitsPerMinute: REQUESTS_PER_MINUTE, burstSeconds: 60 }),
    lease: createConcurrencyLease(redis, `${key}:concurrency`, { limit: OUTLOOK_CONCURRENCY }),
  };
}
