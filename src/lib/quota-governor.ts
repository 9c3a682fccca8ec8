import type { Redis } from 'ioredis';

/**
 * A per-mailbox request budget shared by every worker process: a token bucket in Redis, so two
 * workers never double the rate, plus a penalty box that a rate-limit answer (with its
 * Retry-After) puts the whole mailbox in. Open-source BullMQ has no per-group limiter.
 */
export interface QuotaGovernor {
  /** Waits until `units` may be spent, then spends them. */
  take(units: number): Promise<void>;
  /** The provider said slow down: nobody spends on this mailbox for `ms`. */
  penalize(ms: number): Promise<void>;
}

export interface GovernorOptions {
  unitsPerMinute: number;
  /** Share of the budget actually used: room for clock drift and other clients of the mailbox. */
  safety?: number;
  /** Seconds of budget that may be spent at once after a quiet spell. */
  burstSeconds?: number;
  /** Tests pass a clock; in production Redis's own TIME is used, the same for every process. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * KEYS[1] bucket, KEYS[2] penalty. ARGV: capacity, refill per ms, cost, now (ms; 0 = Redis TIME),
 * penalty ms (when > 0, set the penalty and return). Returns 0 when spent, else ms to wait.
 */
const SCRIPT = `
local now = tonumber(ARGV[4])
if now == 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local penalty = tonumber(ARGV[5])
if penalty > 0 then
  local current = tonumber(redis.call('GET', KEYS[2]) or '0')
  if now + penalty > current then redis.call('SET', KEYS[2], now + penalty, 'PX', penalty) end
  return 0
end
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked > now then return blocked - now end
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
if now > ts then tokens = math.min(capacity, tokens + (now - ts) * rate) end
if now > ts then ts = now end
if tokens >= cost then
  redis.call('HSET', KEYS[1], 'tokens', tokens - cost, 'ts', ts)
  redis.call('PEXPIRE', KEYS[1], 3600000)
  return 0
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', ts)
redis.call('PEXPIRE', KEYS[1], 3600000)
return math.ceil((cost - tokens) / rate)
`;

export function createQuotaGovernor(redis: Redis, key: string, options: GovernorOptions): QuotaGovernor {
  const rate = (options.unitsPerMinute * (options.safety ?? 0.9)) / 60_000;
  const capacity = Math.max(1, rate * 1000 * (options.burstSeconds ?? 5));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const run = (cost: number, penalty: number) =>
    redis.eval(
      SCRIPT,
      2,
      `${key}:bucket`,
      `${key}:penalty`,
      capacity,
      rate,
      cost,
      options.now?.() ?? 0,
      penalty,
    ) as Promise<number>;
  return {
    async take(units) {
      // A request dearer than the whole burst still goes, as soon as the bucket is full.
      const cost = Math.min(units, capacity);
      for (;;) {
        const wait = Number(await run(cost, 0));
        if (wait <= 0) return;
        await sleep(wait);
      }
    },
    async penalize(ms) {
      await run(0, Math.max(1, Math.ceil(ms)));
    },
  };
}
