import { describe, expect, it } from 'vitest';
import { InFlightLimit } from '../../src/providers/gmail/in-flight-limit.ts';

/** Takes `n` slots at once and says how many were granted before the next turn of the loop. */
async function grab(limit: InFlightLimit, n: number): Promise<{ granted: number; generations: number[] }> {
  const generations: number[] = [];
  for (let i = 0; i < n; i++) void limit.acquire().then((g) => generations.push(g));
  await new Promise((resolve) => setImmediate(resolve));
  return { granted: generations.length, generations };
}

describe('the requests a mailbox keeps in flight', () => {
  it('lets `max` through at first and holds the rest until one is released', async () => {
    const limit = new InFlightLimit(10, 50);
    const { granted, generations } = await grab(limit, 12);
    expect(granted).toBe(10);
    limit.release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(generations).toHaveLength(11);
    limit.release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(generations).toHaveLength(12);
  });

  it('halves on a concurrency refusal, once for the requests sent together, never below 1', async () => {
    const limit = new InFlightLimit(10, 50);
    const { generations } = await grab(limit, 10);
    // Ten sent at generation 0, seven refused: one cut, not seven.
    for (let i = 0; i < 7; i++) limit.crowded(generations[i] ?? -1);
    expect(limit.current).toBe(5);
    for (let i = 0; i < 10; i++) limit.release();
    // Sent after the cut and refused again: another cut, and so on down to one.
    for (const expected of [2, 1, 1]) {
      const [generation] = (await grab(limit, 1)).generations;
      limit.release();
      limit.crowded(generation ?? -1);
      expect(limit.current).toBe(expected);
    }
  });

  it('gives one slot back after each run of successes, up to where it started', async () => {
    const limit = new InFlightLimit(4, 3);
    const [generation] = (await grab(limit, 1)).generations;
    limit.release();
    limit.crowded(generation ?? -1);
    expect(limit.current).toBe(2);
    limit.succeeded();
    limit.succeeded();
    expect(limit.current).toBe(2);
    limit.succeeded();
    expect(limit.current).toBe(3);
    // A refusal in the middle of a run starts the count again.
    limit.succeeded();
    limit.succeeded();
    limit.crowded(-1);
    limit.succeeded();
    expect(limit.current).toBe(3);
    for (let i = 0; i < 30; i++) limit.succeeded();
    expect(limit.current).toBe(4);
  });

  it('lets a waiting request go as soon as the limit grows back', async () => {
    const limit = new InFlightLimit(2, 1);
    const [generation] = (await grab(limit, 2)).generations;
    limit.crowded(generation ?? -1);
    expect(limit.current).toBe(1);
    limit.release();
    expect((await grab(limit, 1)).granted).toBe(0);
    limit.succeeded();
    await new Promise((resolve) => setImmediate(resolve));
    expect(limit.current).toBe(2);
  });
});
