import type { Redis } from 'ioredis';

/**
 * A per-mailbox request budget shared by every worker process: a token bucket in Redis, so two
 * workers never double the rate, plus a penalty box that a rate-limit answer (with its
 * Retry-After) puts the whole mailbox in. Open-source BullMQ has no per-group limiter.
 */
export interface QuotaGovernor {
  /** Waits until `units` may be spent, then spends them (from the shared budget too, if any). */
  take(units: number): Promise<void>;
  /**
   * The provider said slow down: nobody spends on this mailbox for `ms`; with `shared`, nobody
   * spends on any mailbox of the shared budget (Google's project-wide rateLimitExceeded).
   */
  penalize(ms: number, scope?: 'mailbox' | 'shared'): Promise<void>;
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
   * The dearest single request, in units (default 1). The bucket holds at least that much, so a
   * request is charged its whole price however small the budget, and refills slower by as much,
   * so that the bucket plus a minute of refill still stays within safety + burstShare of the
   * budget. Throws when the budget cannot pay for such a request at that margin.
   */
  largestCost?: number;
  /**
   * A second budget every take also spends from, shared with other mailboxes under the same key
   * (Google's per-project quota: every user of the app together). Sized like the mailbox's.
   */
  shared?: { key: string; unitsPerMinute: number };
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
 * KEYS: n buckets, then their n penalty boxes. ARGV: now (ms; 0 = Redis TIME), penalty ms (when
 * > 0, set the penalty of box ARGV[3] and return), cost, then each bucket's capacity and refill
 * per ms. Spends `cost` from every bucket when each holds it (or is full, for a request dearer
 * than a bucket: it goes into debt) and returns 0; else spends nothing and returns ms to wait.
 */
const SCRIPT = `
local n = #KEYS / 2
local now = tonumber(ARGV[1])
if now == 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local penalty = tonumber(ARGV[2])
if penalty > 0 then
  local box = KEYS[n + tonumber(ARGV[3])]
  local current = tonumber(redis.call('GET', box) or '0')
  if now + penalty > current then redis.call('SET', box, now + penalty, 'PX', penalty) end
  return 0
end
local wait = 0
for i = 1, n do
  local blocked = tonumber(redis.call('GET', KEYS[n + i]) or '0')
  if blocked - now > wait then wait = blocked - now end
end
if wait > 0 then return wait end
local cost = tonumber(ARGV[3])
local tokens = {}
local stamps = {}
for i = 1, n do
  local capacity = tonumber(ARGV[2 + 2 * i])
  local rate = tonumber(ARGV[3 + 2 * i])
  local state = redis.call('HMGET', KEYS[i], 'tokens', 'ts')
  local held = tonumber(state[1]) or capacity
  local ts = tonumber(state[2]) or now
  if now > ts then
    held = math.min(capacity, held + (now - ts) * rate)
    ts = now
  end
  local need = math.min(cost, capacity)
  if held < need then
    local short = math.ceil((need - held) / rate)
    if short > wait then wait = short end
  end
  tokens[i] = held
  stamps[i] = ts
end
for i = 1, n do
  local left = tokens[i]
  if wait == 0 then left = left - cost end
  redis.call('HSET', KEYS[i], 'tokens', left, 'ts', stamps[i])
  redis.call('PEXPIRE', KEYS[i], 3600000)
end
return wait
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
 *
 * A request is charged its whole price. Where 1% of the budget is less than the dearest request
 * (a budget under 100 times it: GMAIL_QUOTA_UNITS_PER_MINUTE set low), the bucket holds that
 * request instead and refills slower by as much, so B + r*60s stays at 0.99 Q. Clamping the
 * charge to the bucket, as this once did, let a 1,000-unit budget spend 3,960 units in a minute
 * on 40-unit reads.
 */
const COMMAND = 'touchbaseQuotaTake';
type GovernorCommand = (this: Redis, ...args: (string | number)[]) => Promise<number>;

export const DEFAULT_SAFETY = 0.98;
export const DEFAULT_BURST_SHARE = 0.01;

export function createQuotaGovernor(redis: Redis, key: string, options: GovernorOptions): QuotaGovernor {
  const buckets = [bucketSize(options.unitsPerMinute, options)];
  const keys = [`${key}:bucket`];
  const boxes = [`${key}:penalty`];
  if (options.shared) {
    buckets.push(bucketSize(options.shared.unitsPerMinute, options));
    keys.push(`${options.shared.key}:bucket`);
    boxes.push(`${options.shared.key}:penalty`);
  }
  const sizes = buckets.flatMap(({ capacity, rate }) => [capacity, rate]);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  // EVALSHA after the first call: every Gmail request goes through here, so the script text is
  // not sent each time. ioredis falls back to EVAL when Redis has not seen the script.
  if (!(COMMAND in redis)) redis.defineCommand(COMMAND, { lua: SCRIPT });
  const command = (redis as unknown as Record<string, GovernorCommand>)[COMMAND] as GovernorCommand;
  const run = (cost: number, penalty: number) =>
    command.call(redis, keys.length * 2, ...keys, ...boxes, options.now?.() ?? 0, penalty, cost, ...sizes);
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
      if (ahead) {
        const fresh = clock() - ahead.maxAgeMs;
        while (pocket.length > 0 && (pocket[0] ?? 0) < fresh) pocket.shift();
        if (pocket.length >= units) {
          pocket.splice(0, units);
          replace(units);
          return;
        }
      }
      for (;;) {
        const wait = Number(await run(units, 0));
        if (wait <= 0) break;
        await sleep(wait);
      }
      replace(units);
    },
    async penalize(ms, scope = 'mailbox') {
      pocket = [];
      epoch++;
      await run(scope === 'shared' && options.shared ? 2 : 1, Math.max(1, Math.ceil(ms)));
    },
  };
}

/**
 * A bucket's capacity (the burst, and at least the dearest request) and refill per ms: the
 * capacity plus a minute's refill is at most safety + burstShare of the budget, and the refill at
 * most safety of it.
 */
function bucketSize(unitsPerMinute: number, options: GovernorOptions): { capacity: number; rate: number } {
  const safety = Math.min(1, Math.max(0.01, options.safety ?? DEFAULT_SAFETY));
  const burstShare = Math.min(options.burstShare ?? DEFAULT_BURST_SHARE, 1 - safety);
  const largest = options.largestCost ?? 1;
  const capacity = Math.max(1, largest, unitsPerMinute * burstShare);
  const perMinute = Math.min(unitsPerMinute * safety, unitsPerMinute * (safety + burstShare) - capacity);
  if (!(perMinute > 0)) {
    throw new Error(
      `a budget of ${unitsPerMinute} units a minute cannot pay for a request of ${largest} units within its margin: raise it to at least ${smallestBudget(largest)}`,
    );
  }
  return { capacity, rate: perMinute / 60_000 };
}

/**
 * The smallest budget the settings accept for requests of up to `largestCost` units: two of them
 * a minute, which the default margins pay for (bucketSize refuses less only where they cannot).
 */
export function smallestBudget(largestCost: number): number {
  return 2 * largestCost;
}
