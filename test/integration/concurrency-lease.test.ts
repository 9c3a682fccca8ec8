import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createConcurrencyLease } from '../../src/lib/concurrency-lease.ts';
import { testRedisPrefix, testRedisUrl } from '../support/test-database.ts';

/**
 * Graph's four concurrent requests per mailbox, across processes: slots in a Redis sorted set.
 * A chain of requests (a folder's pages) takes its slot over from one page to the next in the
 * same turn of the event loop, without a round trip and without the slot being free between.
 */
describe('the concurrency lease (Redis, shared by processes)', () => {
  const connections: Redis[] = [];
  afterAll(async () => {
    await Promise.all(connections.map((c) => c.quit()));
  });
  const connect = () => {
    const redis = new Redis(testRedisUrl());
    connections.push(redis);
    return redis;
  };
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
  const settled = async (promise: Promise<unknown>, ms: number) =>
    Promise.race([promise.then(() => true), new Promise((r) => setTimeout(() => r(false), ms))]);

  it('hands a slot freed in this turn to the next acquire, and frees it in Redis on the next turn', async () => {
    const key = `${testRedisPrefix()}:lease:handover`;
    const redis = connect();
    const lease = createConcurrencyLease(redis, key, { limit: 1 });
    const other = createConcurrencyLease(connect(), key, { limit: 1, pollMs: 5 });

    const release = await lease.acquire();
    const [held] = await redis.zrange(key, 0, -1);
    await release();
    const again = await lease.acquire();
    // The same slot, never free: the other process still waits.
    expect(await redis.zrange(key, 0, -1)).toEqual([held]);
    const waiting = other.acquire();
    expect(await settled(waiting, 60)).toBe(false);

    await again();
    await nextTurn();
    expect(await settled(waiting, 1_000)).toBe(true);
    const members = await redis.zrange(key, 0, -1);
    expect(members).toHaveLength(1);
    expect(members).not.toEqual([held]);
    await (await waiting)();
  });

  it('frees a slot once, however often its release is called', async () => {
    const key = `${testRedisPrefix()}:lease:twice`;
    const lease = createConcurrencyLease(connect(), key, { limit: 1, pollMs: 5 });
    const release = await lease.acquire();
    await release();
    await release();
    const first = await lease.acquire();
    const second = lease.acquire();
    expect(await settled(second, 60)).toBe(false);
    await first();
    expect(await settled(second, 1_000)).toBe(true);
    await (await second)();
  });

  it('never hands over a slot past half its expiry: it is freed and a fresh one taken', async () => {
    const key = `${testRedisPrefix()}:lease:old`;
    const redis = connect();
    const lease = createConcurrencyLease(redis, key, { limit: 2, ttlMs: 200 });
    const release = await lease.acquire();
    const [old] = await redis.zrange(key, 0, -1);
    await new Promise((r) => setTimeout(r, 120));
    await release();
    const fresh = await lease.acquire();
    await nextTurn();
    const members = await redis.zrange(key, 0, -1);
    expect(members).toHaveLength(1);
    expect(members).not.toContain(old);
    await fresh();
  });

  it('keeps the limit across processes', async () => {
    const key = `${testRedisPrefix()}:lease:limit`;
    const a = createConcurrencyLease(connect(), key, { limit: 2 });
    const b = createConcurrencyLease(connect(), key, { limit: 2, pollMs: 5 });
    const first = await a.acquire();
    await a.acquire();
    const waiting = b.acquire();
    expect(await settled(waiting, 60)).toBe(false);
    await first();
    expect(await settled(waiting, 1_000)).toBe(true);
  });
});
