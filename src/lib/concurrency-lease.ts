import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * At most `limit` requests in flight for one key across every worker process (Graph allows four
 * concurrent requests per app per mailbox). Holders are members of a sorted set scored by their
 * expiry, so a process killed mid-request frees its slot by itself after `ttlMs`.
 */
export interface ConcurrencyLease {
  /** Waits for a free slot, then holds it; call the returned function to free it. */
  acquire(): Promise<() => Promise<void>>;
}

/** KEYS[1] the set. ARGV: limit, ttl ms, member. Returns 0 when held, else ms until a slot may free. */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
  return 0
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(first[2]) - now)
`;

export function createConcurrencyLease(
  redis: Redis,
  key: string,
  options: { limit: number; ttlMs?: number; pollMs?: number },
): ConcurrencyLease {
  const ttlMs = options.ttlMs ?? 120_000;
  // A slot usually frees when a request ends, long before its expiry: look again soon.
  const pollMs = options.pollMs ?? 20;
  return {
    async acquire() {
      const member = randomUUID();
      for (;;) {
        const wait = Number(await redis.eval(ACQUIRE, 1, key, options.limit, ttlMs, member));
        if (wait <= 0) break;
        await new Promise((resolve) => setTimeout(resolve, Math.min(wait, pollMs)));
      }
      return async () => {
        await redis.zrem(key, member);
      };
    },
  };
}
