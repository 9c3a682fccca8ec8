import type { Redis } from 'ioredis';
import type { Logger } from './logger.ts';

/**
 * Counters that worker processes increment and the server's /metrics reads: they live in Redis
 * (one hash under QUEUE_PREFIX), so any number of workers add to the same totals and a restart
 * loses nothing. docs/decisions/0005-metrics-across-processes.md says why.
 */
export type ProviderOutcome = 'ok' | 'rate_limited' | 'error';

/** Called once per provider HTTP request, after its answer: never awaited, never throws. */
export type ProviderRequestRecorder = (method: string, outcome: ProviderOutcome) => void;

export interface ProviderRequestCount {
  provider: string;
  method: string;
  outcome: ProviderOutcome;
  count: number;
}

const SEPARATOR = '|';

export function providerRequestsKey(prefix: string): string {
  return `${prefix}:metrics:provider_requests`;
}

/** A recorder for one provider's requests; a Redis hiccup costs a count, never a sync. */
export function providerRequestRecorder(
  redis: Redis,
  prefix: string,
  provider: string,
  log?: Logger,
): ProviderRequestRecorder {
  const key = providerRequestsKey(prefix);
  return (method, outcome) => {
    redis.hincrby(key, [provider, method, outcome].join(SEPARATOR), 1).catch((error: unknown) => {
      log?.debug({ event: 'metrics.record_failed', err: String(error) }, 'provider request not counted');
    });
  };
}

/** Every provider request counted so far, by provider, method and outcome. */
export async function readProviderRequests(redis: Redis, prefix: string): Promise<ProviderRequestCount[]> {
  const fields = await redis.hgetall(providerRequestsKey(prefix));
  const counts: ProviderRequestCount[] = [];
  for (const [field, value] of Object.entries(fields)) {
    const [provider, method, outcome] = field.split(SEPARATOR);
    if (!provider || !method || !isOutcome(outcome)) continue;
    counts.push({ provider, method, outcome, count: Number(value) });
  }
  return counts;
}

function isOutcome(value: string | undefined): value is ProviderOutcome {
  return value === 'ok' || value === 'rate_limited' || value === 'error';
}
