import { describe, expect, it } from 'vitest';
import {
  type FetchCosts,
  type ListedRef,
  planFetch,
  planUnits,
  ReadAhead,
} from '../../src/providers/gmail/gmail-fetch-plan.ts';
import { gmailQuota } from '../../src/providers/gmail/gmail-quota.ts';

const costsOf = (regime: 'legacy' | '2026'): FetchCosts => {
  const { cost } = gmailQuota(regime);
  return { message: cost['messages.get'], thread: cost['threads.get'] };
};

/** A listed page whose threads have these numbers of messages on it, newest first, interleaved. */
function page(shape: readonly number[]): ListedRef[] {
  const refs: ListedRef[] = [];
  const longest = Math.max(0, ...shape);
  for (let i = 0; i < longest; i++) {
    shape.forEach((length, t) => {
      if (i < length) refs.push({ id: `m${t}-${i}`, threadId: `t${t}` });
    });
  }
  return refs;
}

describe('the cheapest request plan', () => {
  it.each([
    // shape (messages per thread on the page), legacy units, 2026 units, threads read whole
    { shape: [1, 1, 1, 1], legacy: 20, y2026: 80, threads: 0 },
    { shape: [2, 2], legacy: 20, y2026: 80, threads: 2 },
    { shape: [3], legacy: 10, y2026: 40, threads: 1 },
    { shape: [10], legacy: 10, y2026: 40, threads: 1 },
    { shape: [1, 5, 2, 1], legacy: 30, y2026: 120, threads: 2 },
    { shape: [50, 50, 50, 50, 50, 50, 50, 50, 50, 50], legacy: 100, y2026: 400, threads: 10 },
    { shape: Array.from({ length: 500 }, () => 1), legacy: 2500, y2026: 10000, threads: 0 },
  ])('threads of $shape: $legacy units legacy, $y2026 since 2026', ({ shape, legacy, y2026, threads }) => {
    const refs = page(shape);
    const byMessage = refs.length;
    for (const [regime, expected] of [
      ['legacy', legacy],
      ['2026', y2026],
    ] as const) {
      const costs = costsOf(regime);
      const plan = planFetch(refs, costs);
      expect(planUnits(plan, costs)).toBe(expected);
      expect(plan.threads).toHaveLength(threads);
      // Never dearer than one get per listed message.
      expect(planUnits(plan, costs)).toBeLessThanOrEqual(byMessage * costs.message);
      // Every listed message is read exactly once, one way or the other.
      const covered = [
        ...plan.messages,
        ...refs.filter((r) => plan.threads.includes(r.threadId ?? '')).map((r) => r.id),
      ];
      expect(covered.sort()).toEqual(refs.map((r) => r.id).sort());
    }
  });

  it("counts the next page's messages of a thread on this page, and plans only this page", () => {
    const legacy = costsOf('legacy');
    const listed: ListedRef[] = [
      { id: 'a1', threadId: 'ta' },
      { id: 'b1', threadId: 'tb' },
      { id: 'c1', threadId: 'tc' },
    ];
    const later: ListedRef[] = [
      // ta goes on: read whole here, its next message skipped when that page comes.
      { id: 'a2', threadId: 'ta' },
      // tb's next message was read already: it does not count.
      { id: 'b2', threadId: 'tb' },
      // Threads that start on the next page are that page's to plan; ids repeated count once.
      { id: 'd1', threadId: 'td' },
      { id: 'd2', threadId: 'td' },
      { id: 'c1', threadId: 'tc' },
    ];
    const plan = planFetch(listed, legacy, new Set(['b2']), later);
    expect(plan).toEqual({ threads: ['ta'], messages: ['b1', 'c1'], skipped: [] });
    // Without the next page, each is a message of its own.
    expect(planFetch(listed, legacy, new Set(['b2']))).toEqual({
      threads: [],
      messages: ['a1', 'b1', 'c1'],
      skipped: [],
    });
  });

  it('reads a thread whole only when that is cheaper, whatever the price ratio', () => {
    const dear: FetchCosts = { message: 5, thread: 15 };
    expect(planFetch(page([2]), dear)).toEqual({ threads: [], messages: ['m0-0', 'm0-1'], skipped: [] });
    expect(planFetch(page([3]), dear)).toEqual({ threads: ['t0'], messages: [], skipped: [] });
  });

  it('skips what a thread read already brought and ids listed twice; reads threadless ids singly', () => {
    const refs: ListedRef[] = [
      { id: 'a', threadId: 't1' },
      { id: 'b', threadId: 't1' },
      { id: 'a', threadId: 't1' },
      { id: 'c', threadId: null },
      { id: 'd', threadId: null },
    ];
    const plan = planFetch(refs, costsOf('legacy'), new Set(['b']));
    expect(plan).toEqual({ threads: [], messages: ['c', 'd', 'a'], skipped: ['b', 'a'] });
  });
});

describe('ids read ahead', () => {
  it('stays within its bound, forgetting the oldest, and survives a round trip through JSON', () => {
    const ahead = new ReadAhead([], 3);
    for (const id of ['a', 'b', 'c', 'd']) ahead.add(id);
    expect(ahead.toJSON()).toEqual(['b', 'c', 'd']);
    ahead.delete('c');
    const restored = new ReadAhead(JSON.parse(JSON.stringify(ahead)) as string[], 3);
    expect(restored.has('b')).toBe(true);
    expect(restored.has('a')).toBe(false);
    expect(restored.size).toBe(2);
    expect(new ReadAhead(['1', '2', '3', '4', '5'], 2).toJSON()).toEqual(['4', '5']);
  });
});
