import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closeness, lapseScore, type RankableContact, rankLapsed } from '../../src/contacts/rank-lapsed.ts';

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date('2024-06-01T00:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY);

interface TestContact extends RankableContact {
  id: string;
}

function contact(id: string, overrides: Partial<TestContact> = {}): TestContact {
  return {
    id,
    name: null,
    mutedAt: null,
    snoozedUntil: null,
    lastContactAt: daysAgo(200),
    cadenceDays: null,
    inferredCadenceDays: null,
    sentCount: 10,
    receivedCount: 10,
    exchangeDays: 10,
    ...overrides,
  };
}

const ids = (list: readonly TestContact[]) => list.map((c) => c.id);

describe('rankLapsed', () => {
  it('only lapsed contacts are ranked: active, snoozed and muted ones never appear', () => {
    const list = [
      contact('active', { lastContactAt: daysAgo(5) }),
      contact('snoozed', { snoozedUntil: daysAgo(-7) }),
      contact('muted', { mutedAt: daysAgo(1) }),
      contact('lapsed'),
    ];
    expect(ids(rankLapsed(list, NOW, 10))).toEqual(['lapsed']);
  });

  it('a close, mutual relationship ranks above a one-way acquaintance', () => {
    const list = [
      contact('one-way', { sentCount: 12, receivedCount: 0, exchangeDays: 12 }),
      contact('mutual', { sentCount: 6, receivedCount: 6, exchangeDays: 12 }),
    ];
    expect(ids(rankLapsed(list, NOW, 10))).toEqual(['mutual', 'one-way']);
  });

  it('more days of exchange ranks higher at the same silence', () => {
    const list = [contact('few', { exchangeDays: 2 }), contact('many', { exchangeDays: 80 })];
    expect(ids(rankLapsed(list, NOW, 10))).toEqual(['many', 'few']);
  });

  it('more overdue ranks higher for the same closeness', () => {
    const list = [
      contact('just-lapsed', { inferredCadenceDays: 30, lastContactAt: daysAgo(61) }),
      contact('very-overdue', { inferredCadenceDays: 30, lastContactAt: daysAgo(150) }),
    ];
    expect(ids(rankLapsed(list, NOW, 10))).toEqual(['very-overdue', 'just-lapsed']);
  });

  it('a relationship from many years ago ranks below one that just slipped', () => {
    const list = [
      contact('ancient', { lastContactAt: daysAgo(8 * 365) }),
      contact('recent-lapse', { inferredCadenceDays: 30, lastContactAt: daysAgo(200) }),
    ];
    expect(ids(rankLapsed(list, NOW, 10))).toEqual(['recent-lapse', 'ancient']);
  });

  it('ties break on id, then name, whatever the input order', () => {
    const list = [contact('c'), contact('a'), contact('b')];
    expect(ids(rankLapsed(list, NOW, 10))).toEqual(['a', 'b', 'c']);
    const named = [
      { ...contact(''), id: undefined, name: 'Zed' },
      { ...contact(''), id: undefined, name: 'Amy' },
    ];
    expect(rankLapsed(named, NOW, 10).map((c) => c.name)).toEqual(['Amy', 'Zed']);
  });

  it('respects the limit', () => {
    const list = Array.from({ length: 8 }, (_, i) => contact(`c${i}`, { exchangeDays: i + 1 }));
    expect(ids(rankLapsed(list, NOW, 3))).toEqual(['c7', 'c6', 'c5']);
    expect(rankLapsed(list, NOW, 0)).toEqual([]);
    expect(rankLapsed(list, NOW, -1)).toEqual([]);
  });

  it('returns the caller’s own objects', () => {
    const only = contact('x');
    expect(rankLapsed([only], NOW, 1)[0]).toBe(only);
  });

  it('is deterministic under shuffling', () => {
    const arb = fc.record({
      id: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
      sent: fc.integer({ min: 0, max: 20 }),
      received: fc.integer({ min: 0, max: 20 }),
      days: fc.integer({ min: 0, max: 30 }),
      silence: fc.integer({ min: 0, max: 2000 }),
    });
    fc.assert(
      fc.property(
        fc
          .array(arb, { maxLength: 12 })
          .chain((rows) =>
            fc.tuple(
              fc.constant(rows),
              fc.shuffledSubarray(rows, { minLength: rows.length, maxLength: rows.length }),
            ),
          ),
        ([rows, shuffled]) => {
          const build = (r: (typeof rows)[number]) =>
            contact(r.id, {
              sentCount: r.sent,
              receivedCount: r.received,
              exchangeDays: r.days,
              lastContactAt: daysAgo(r.silence),
            });
          const key = (list: readonly TestContact[]) =>
            list.map(
              (c) =>
                `${c.id}/${c.sentCount}/${c.receivedCount}/${c.exchangeDays}/${c.lastContactAt?.getTime()}`,
            );
          expect(key(rankLapsed(shuffled.map(build), NOW, 5))).toEqual(
            key(rankLapsed(rows.map(build), NOW, 5)),
          );
        },
      ),
    );
  });
});

describe('scores', () => {
  it('closeness: volume × reciprocity × recency', () => {
    // log2(2 + 6) = 3; reciprocity 1; no silence -> recency 1.
    expect(closeness(contact('x', { exchangeDays: 6, lastContactAt: NOW }), NOW)).toBeCloseTo(3, 10);
    // one-way weighs a quarter; a year of silence halves it.
    expect(
      closeness(
        contact('x', { exchangeDays: 6, sentCount: 5, receivedCount: 0, lastContactAt: daysAgo(365) }),
        NOW,
      ),
    ).toBeCloseTo(3 * 0.25 * 0.5, 10);
  });

  it('lapseScore caps how overdue counts at 4 thresholds', () => {
    const c = contact('x', { inferredCadenceDays: 30, exchangeDays: 2 });
    const at = (silence: number) =>
      lapseScore({ ...c, lastContactAt: daysAgo(silence) }, NOW) * (1 + silence / 365);
    // closeness without recency is log2(4) = 2; overdue = silence / 60, capped at 4.
    expect(at(120)).toBeCloseTo(2 * 2, 10);
    expect(at(600)).toBeCloseTo(2 * 4, 10);
    expect(lapseScore({ ...c, lastContactAt: null }, NOW)).toBe(0);
  });
});
