import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createQuotaGovernor } from '../../src/lib/quota-governor.ts';
import { testRedisPrefix, testRedisUrl } from '../support/test-database.ts';

/** Two worker processes: separate Redis connections, one clock that only moves when they wait. */
function twoWorkers(unitsPerMinute: number) {
  let now = 1_000_000;
  const slept: number[] = [];
  const key = `${testRedisPrefix()}:quota:account-1`;
  const connections = [new Redis(testRedisUrl()), new Redis(testRedisUrl())];
  const options = {
    unitsPerMinute,
    now: () => now,
    sleep: async (ms: number) => {
      slept.push(ms);
      now += ms;
    },
  };
  const [a, b] = connections.map((redis) => createQuotaGovernor(redis, key, options));
  return {
    a: a!,
    b: b!,
    slept,
    elapsed: () => now - 1_000_000,
    close: () => Promise.all(connections.map((c) => c.quit())),
  };
}

describe('the per-mailbox quota governor (Redis, shared by processes)', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const close of closers) await close();
  });

  it('lets a burst through, then makes the other process wait for the refill', async () => {
    const w = twoWorkers(600); // 9 units/s after the 10% margin; a 5 s burst is 45 units
    closers.push(w.close);
    for (let i = 0; i < 45; i++) await w.a.take(1);
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
    // 90% of 15,000 units per minute, plus at most one burst (5 s) and one round of requests.
    expect(spent).toBeLessThanOrEqual(13_500 + 1_125 + 10);
    expect(spent).toBeGreaterThanOrEqual(13_500 - 10);
  });

  it('puts the whole mailbox in the penalty box when the provider says slow down', async () => {
    const w = twoWorkers(15_000);
    closers.push(w.close);
    await w.a.penalize(5_000);
    await w.b.take(1);
    expect(w.slept.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(5_000);
  });
});
