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
  /** Share of the budget spent in steady state (default 0.98). */
  safety?: number;
  /**
   * Units that may be spent at once after a quiet spell, as a share of the minute's budget
   * (default 0.01). Clamped so that burst + a minute of refill never passes `safety` + burst <= 1.
   */
  burstShare?: number;
  /**
   * Units this process spends ahead, off the path of its requests: each take uses one spent
   * earlier when it has one (no Redis round trip before the request) and spends its replacement
   * in the background, a single try that gives up when the bucket is empty or the mailbox in the
   * penalty box. A unit is used within `maxAgeMs` of being spent or not at all, and none is used
   * after this process's own penalize(); a penalty another process sets is seen by the next
   * replacement, so it lets through at most `units` requests, spent before it (as requests admitted
   * just before it are). For Graph, whose budget is generous and whose chains of pages wait for
   * each admission.
   */
  ahead?: { units: number; maxAgeMs: number };
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

/**
 * Why 98% with a 1% burst is safe against Google's sliding minute: a token bucket that refills
 * r units/ms and holds at most B units lets through at most B + r*T units in ANY interval T,
 * whichever way the interval is placed (a sliding window or fixed minutes). With r*60s = 0.98 Q
 * and B = 0.01 Q, one minute sees at most 0.99 Q, starting with a full bucket included. The last
 * 1% (0.6 s of spending) covers admissions that reach Google out of step with the moment they
 * were admitted (network and event-loop jitter up to ~0.6 s) and a few units of another client
 * of the mailbox; anything beyond that answers 403/429, which the penalty box absorbs. The burst
 * makes up short pauses in the calls (a chunk handing over to the next, 0.6 s of spending); the
 * sync no longer pauses to store or recompute (it fetches meanwhile: docs/decisions/0011), which
 * is why 1% is enough where decision 0006 first chose 97% + 2%. Spending 98% puts the quota
 * floor's ratio near 1/0.98 = 1.02 (the target is 1.05); every worker process shares the
 * bucket through Redis (one clock: Redis TIME), so two workers never double the rate.
 */
const COMMAND = 'touchbaseQuotaTake';
type GovernorCommand = (this: Redis, ...args: (string | number)[]) => Promise<number>;

export const DEFAULT_SAFETY = 0.98;
export const DEFAULT_BURST_SHARE = 0.01;

export function createQuotaGovernor(redis: Redis, key: string, options: GovernorOptions): QuotaGovernor {
  const safety = Math.min(1, Math.max(0.01, options.safety ?? DEFAULT_SAFETY));
  const rate = (options.unitsPerMinute * safety) / 60_000;
  const burstShare = Math.min(options.burstShare ?? DEFAULT_BURST_SHARE, 1 - safety);
  const capacity = Math.max(1, options.unitsPerMinute * burstShare);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  // EVALSHA after the first call: every Gmail request goes through here, so the script text is
  // not sent each time. ioredis falls back to EVAL when Redis has not seen the script.
  if (!(COMMAND in redis)) redis.defineCommand(COMMAND, { numberOfKeys: 2, lua: SCRIPT });
  const command = (redis as unknown as Record<string, GovernorCommand>)[COMMAND] as GovernorCommand;
  const run = (cost: number, penalty: number) =>
    command.call(
      redis,
      `${key}:bucket`,
      `${key}:penalty`,
      capacity,
      rate,
      cost,
      options.now?.() ?? 0,
      penalty,
    );
  const ahead = options.ahead;
  const clock = options.now ?? (() => performance.now());
  /** When each unit spent ahead was spent (this process's clock), oldest first. */
  let pocket: number[] = [];
  let replacing = 0;
  /** Bumped by penalize(): a replacement spent before it is not used after it. */
  let epoch = 0;
  const replace = (units: number) => {
    if (!ahead) return;
    const wanted = Math.min(units, ahead.units - pocket.length - replacing);
    if (wanted <= 0) return;
    replacing += wanted;
    const since = epoch;
    run(wanted, 0)
      .then((wait) => {
        if (Number(wait) > 0 || since !== epoch) return;
        for (let i = 0; i < wanted; i++) pocket.push(clock());
      })
      // A replacement that failed is only a round trip before the next request.
      .catch(() => {})
      .finally(() => {
        replacing -= wanted;
      });
  };
  return {
    async take(units) {
      // A request dearer than the whole burst still goes, as soon as the bucket is full.
      const cost = Math.min(units, capacity);
      if (ahead) {
        const fresh = clock() - ahead.maxAgeMs;
        while (pocket.length > 0 && (pocket[0] ?? 0) < fresh) pocket.shift();
        if (pocket.length >= cost) {
          pocket.splice(0, cost);
          replace(cost);
          return;
        }
      }
      for (;;) {
        const wait = Number(await run(cost, 0));
        if (wait <= 0) break;
        await sleep(wait);
      }
      replace(cost);
    },
    async penalize(ms) {
      pocket = [];
      epoch++;
      await run(0, Math.max(1, Math.ceil(ms)));
    },
  };
}
