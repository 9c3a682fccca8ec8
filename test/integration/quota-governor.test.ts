import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createQuotaGovernor, type GovernorOptions } from '../../src/lib/quota-governor.ts';
import { testRedisPrefix, testRedisUrl } from '../support/test-database.ts';

/**
 * Two worker processes: separate Redis connections, one clock that only moves when they wait.
 * Both govern one mailbox, or (`mailboxes: 2`) one mailbox each.
 */
function twoWorkers(unitsPerMinute: number, more: Partial<GovernorOptions> & { mailboxes?: 1 | 2 } = {}) {
  let now = 1_000_000;
  const slept: number[] = [];
  const { mailboxes = 1, ...extra } = more;
  const prefix = testRedisPrefix();
  const keyOf = (i: number) => `${prefix}:quota:account-${mailboxes === 1 ? 1 : i + 1}`;
  const connections = [new Redis(testRedisUrl()), new Redis(testRedisUrl())];
  const options: GovernorOptions = {
    unitsPerMinute,
    now: () => now,
    sleep: async (ms: number) => {
      slept.push(ms);
      now += ms;
    },
    ...extra,
  };
  const [a, b] = connections.map((redis, i) => createQuotaGovernor(redis, keyOf(i), options));
  return {
    a: a!,
    b: b!,
    slept,
    elapsed: () => now - 1_000_000,
    /** Time passes with nobody spending (a worker busy storing a page). */
    pause: (ms: number) => {
      now += ms;
    },
    close: () => Promise.all(connections.map((c) => c.quit())),
  };
}

/** The most units spent inside any sliding minute, from [elapsed ms, units] in time order. */
function peakMinute(spends: readonly (readonly [number, number])[]): number {
  let peak = 0;
  for (let i = 0, j = 0, inWindow = 0; i < spends.length; i++) {
    const [at, units] = spends[i] as [number, number];
    inWindow += units;
    while ((spends[j]?.[0] ?? at) <= at - 60_000) inWindow -= spends[j++]?.[1] ?? 0;
    peak = Math.max(peak, inWindow);
  }
  return peak;
}

describe('the per-mailbox quota governor (Redis, shared by processes)', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const close of closers) await close();
  });

  it('lets a burst through, then makes the other process wait for the refill', async () => {
    const w = twoWorkers(600); // 9.8 units/s (98%); a burst of 1% of the minute is 6 units
    closers.push(w.close);
    for (let i = 0; i < 6; i++) await w.a.take(1);
    expect(w.slept).toEqual([]);
    await w.b.take(1);
    expect(w.slept).toHaveLength(1);
    expect(w.slept[0]).toBeGreaterThan(100);
  });

  it('keeps two busy processes together within the budget over a minute', async () => {
    const w = twoWorkers(15_000);
    closers.push(w.close);
    let spent = 0;
    while (w.elapsed() < 60_000) {
      await w.a.take(5);
      await w.b.take(5);
      spent += 10;
    }
    // 98% of 15,000 units per minute, plus at most one burst (1%): never the whole budget.
    expect(spent).toBeLessThanOrEqual(14_700 + 150);
    expect(spent).toBeGreaterThanOrEqual(14_700 - 10);
  });

  it('never lets more than 99% of the budget into any sliding minute, quiet spells included', async () => {
    const w = twoWorkers(6_000);
    closers.push(w.close);
    const spends: [number, number][] = [];
    const take = async (worker: typeof w.a, units: number) => {
      await worker.take(units);
      spends.push([w.elapsed(), units]);
    };
    // Three simulated minutes of 20- and 40-unit calls (2026 prices), with pauses that let the
    // bucket fill up (a backfill chunk handing over to the next, a list call) before the next
    // rush: some shorter than the burst holds (0.6 s of spending), some longer.
    for (let round = 0; w.elapsed() < 180_000; round++) {
      await take(round % 2 ? w.a : w.b, round % 3 ? 20 : 40);
      if (round % 40 === 39) w.pause(100 + (round % 7) * 150);
    }
    const peak = peakMinute(spends);
    expect(peak).toBeLessThanOrEqual(6_000 * 0.99);
    // And busy: pauses cost at most what the bucket could not hold.
    expect(peak).toBeGreaterThanOrEqual(6_000 * 0.95);
  });

  it('puts the whole mailbox in the penalty box when the provider says slow down', async () => {
    const w = twoWorkers(15_000);
    closers.push(w.close);
    await w.a.penalize(5_000);
    await w.b.take(1);
    expect(w.slept.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(5_000);
  });

  it('charges a request its whole price when the budget is small next to it', async () => {
    // A 1,000-unit budget (GMAIL_QUOTA_UNITS_PER_MINUTE) and 2026's 40-unit threads.get: 1% of
    // the minute is 10 units, a quarter of one read.
    const w = twoWorkers(1_000, { largestCost: 40 });
    closers.push(w.close);
    const spends: [number, number][] = [];
    while (w.elapsed() < 180_000) {
      for (const worker of [w.a, w.b]) {
        await worker.take(40);
        spends.push([w.elapsed(), 40]);
      }
    }
    const peak = peakMinute(spends);
    expect(peak).toBeLessThanOrEqual(1_000 * 0.99);
    expect(peak).toBeGreaterThanOrEqual(1_000 * 0.9);
  });

  it('refuses a budget that cannot pay for its dearest request, saying what would', () => {
    const redis = new Redis(testRedisUrl());
    closers.push(() => redis.quit());
    expect(() => createQuotaGovernor(redis, 'k', { unitsPerMinute: 30, largestCost: 40 })).toThrow(
      'a budget of 30 units a minute cannot pay for a request of 40 units within its margin: raise it to at least 80',
    );
  });

  it('keeps mailboxes that share a budget (the project) within it together, each within its own', async () => {
    // Each mailbox may spend 15,000 a minute; the project only 12,000 for both.
    const w = twoWorkers(15_000, {
      mailboxes: 2,
      shared: { key: `${testRedisPrefix()}:quota:gmail-project`, unitsPerMinute: 12_000 },
    });
    closers.push(w.close);
    const spends: [number, number][] = [];
    const byMailbox = [0, 0];
    while (w.elapsed() < 180_000) {
      for (const [i, worker] of [w.a, w.b].entries()) {
        await worker.take(5);
        spends.push([w.elapsed(), 5]);
        byMailbox[i] = (byMailbox[i] ?? 0) + 5;
      }
    }
    const peak = peakMinute(spends);
    expect(peak).toBeLessThanOrEqual(12_000 * 0.99);
    expect(peak).toBeGreaterThanOrEqual(12_000 * 0.95);
    // The project's budget was shared out, not taken by one mailbox.
    expect(Math.abs((byMailbox[0] ?? 0) - (byMailbox[1] ?? 0))).toBeLessThanOrEqual(5);
  });

  it("pauses every mailbox of the project on the project's penalty, and only its own on a mailbox's", async () => {
    const shared = { key: `${testRedisPrefix()}:quota:gmail-project`, unitsPerMinute: 1_200_000 };
    const w = twoWorkers(15_000, { mailboxes: 2, shared });
    closers.push(w.close);
    await w.a.penalize(5_000);
    await w.b.take(1);
    expect(w.slept).toEqual([]);
    await w.a.penalize(5_000, 'shared');
    await w.b.take(1);
    expect(w.slept.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(5_000);
  });
});

describe('units a process spends ahead (Graph: the chains of pages wait for no round trip)', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const close of closers) await close();
  });

  /** Two processes, one clock; `a` spends one unit ahead, used within a second. */
  function withAhead() {
    let now = 5_000_000;
    const slept: number[] = [];
    const key = `${testRedisPrefix()}:quota:ahead`;
    const connections = [new Redis(testRedisUrl()), new Redis(testRedisUrl())];
    closers.push(() => Promise.all(connections.map((c) => c.quit())));
    const options = {
      unitsPerMinute: 6_000, // a burst of 60 units
      now: () => now,
      sleep: async (ms: number) => {
        slept.push(ms);
        now += ms;
      },
    };
    const [ra, rb] = connections as [Redis, Redis];
    const tokens = async () => Number(await ra.hget(`${key}:bucket`, 'tokens'));
    return {
      a: createQuotaGovernor(ra, key, { ...options, ahead: { units: 1, maxAgeMs: 1_000 } }),
      b: createQuotaGovernor(rb, key, options),
      slept,
      pause: (ms: number) => {
        now += ms;
      },
      /** Units left in the shared bucket. */
      tokens,
      /** Waits (a second at most) until the bucket holds `units`: a replacement spent in the background landed. */
      tokensReach: (units: number) => until(async () => (await tokens()) === units),
    };
  }

  /** Whether `promise` settles within a few microtasks: a Redis round trip never does. */
  async function settlesAtOnce(promise: Promise<unknown>): Promise<boolean> {
    let settled = false;
    void promise.then(() => {
      settled = true;
    });
    for (let i = 0; i < 5; i++) await Promise.resolve();
    const atOnce = settled;
    await promise;
    return atOnce;
  }

  async function until(check: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 5));
  }

  it('spends the next unit while the request is out, and the next take uses it without waiting', async () => {
    const w = withAhead();
    expect(await settlesAtOnce(w.a.take(1))).toBe(false);
    // The unit taken, and one more spent ahead, in the bucket everyone shares.
    await w.tokensReach(58);
    expect(await w.tokens()).toBe(58);
    expect(await settlesAtOnce(w.a.take(1))).toBe(true);
    await w.tokensReach(57);
    expect(await w.tokens()).toBe(57);
    expect(w.slept).toEqual([]);
  });

  it('uses no unit spent ahead after its own penalty, nor one older than maxAgeMs', async () => {
    const w = withAhead();
    await w.a.take(1);
    await w.tokensReach(58);
    await w.a.penalize(5_000);
    await w.a.take(1);
    expect(w.slept.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(5_000);

    // The bucket refilled during the penalty: the take and its replacement spent two units.
    await w.tokensReach(58);
    expect(await w.tokens()).toBe(58);
    w.pause(1_500);
    expect(await settlesAtOnce(w.a.take(1))).toBe(false);
  });

  it("stops spending ahead when another process's penalty is on", async () => {
    const w = withAhead();
    await w.a.take(1);
    await w.tokensReach(58);
    await w.b.penalize(5_000);
    // The unit spent before the penalty may still go (as a request admitted just before it would)...
    await w.a.take(1);
    expect(w.slept).toEqual([]);
    // ...but its replacement is refused, so the next take waits out the penalty.
    await w.a.take(1);
    expect(w.slept.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(5_000);
  });
});
