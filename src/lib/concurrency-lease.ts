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

/** A held slot: its member in the set, and when this process took it (performance.now()). */
interface Slot {
  member: string;
  since: number;
}

export function createConcurrencyLease(
  redis: Redis,
  key: string,
  options: { limit: number; ttlMs?: number; pollMs?: number },
): ConcurrencyLease {
  const ttlMs = options.ttlMs ?? 120_000;
  // A slot usually frees when a request ends, long before its expiry: look again soon.
  const pollMs = options.pollMs ?? 20;
  /**
   * Slots this process freed in the current turn of the event loop. A chain of requests (a
   * folder's pages) asks for its next slot in the same turn its answer frees the last: it takes
   * that slot over, without a round trip to Redis and without the slot being free for anyone
   * else in between. What nobody took is freed in Redis on the next turn. A slot is taken over
   * only while it is young (half its expiry), so a request never outlives its slot.
   */
  const spare: Slot[] = [];
  const freeSpares = () => {
    for (const slot of spare.splice(0)) redis.zrem(key, slot.member).catch(() => {});
  };
  const holding = (slot: Slot) => {
    let held = true;
    return async () => {
      // Freed once: a second call must not hand the same slot to two requests.
      if (!held) return;
      held = false;
      if (spare.length === 0) setImmediate(freeSpares);
      spare.push(slot);
    };
  };
  return {
    async acquire() {
      while (spare.length > 0) {
        const slot = spare.pop() as Slot;
        if (performance.now() - slot.since < ttlMs / 2) return holding(slot);
        redis.zrem(key, slot.member).catch(() => {});
      }
      const member = randomUUID();
      for (;;) {
        const wait = Number(await redis.eval(ACQUIRE, 1, key, options.limit, ttlMs, member));
        if (wait <= 0) break;
        await new Promise((resolve) => setTimeout(resolve, Math.min(wait, pollMs)));
      }
      return holding({ member, since: performance.now() });
    },
  };
}
