import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exchangeStarts, inferCadenceDays } from '../../src/contacts/infer-cadence.ts';

const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.parse('2024-03-01T09:00:00Z');
const at = (days: number) => new Date(T0 + days * DAY);

const cases: { title: string; days: number[]; expected: number | null }[] = [
  { title: 'no messages', days: [], expected: null },
  { title: 'two exchanges are not a rhythm', days: [0, 30], expected: null },
  {
    title: 'a burst of ten messages is one exchange',
    days: [0, 0.01, 0.02, 0.1, 0.2, 0.3, 0.5, 0.6, 0.8, 0.9],
    expected: null,
  },
  { title: 'two bursts are still two exchanges', days: [0, 0.2, 0.4, 30, 30.1, 30.9], expected: null },
  { title: 'weekly', days: [0, 7, 14, 21, 28], expected: 7 },
  { title: 'weekly with bursts', days: [0, 0.1, 0.2, 7, 7.5, 14, 14.3, 14.9, 21], expected: 7 },
  { title: 'monthly in any order', days: [90, 0, 60, 30], expected: 30 },
  { title: 'one long silence does not move the median', days: [0, 14, 28, 42, 400], expected: 14 },
  { title: 'even number of gaps: mean of the middle two', days: [0, 10, 30, 60, 100], expected: 25 },
  { title: 'daily (every 24 h) clamps to the 3-day floor', days: [0, 1, 2, 3, 4, 5], expected: 3 },
  { title: 'yearly-plus clamps to 365', days: [0, 500, 1000, 1500], expected: 365 },
  { title: 'rounded to whole days', days: [0, 10.4, 20.8, 31.2], expected: 10 },
];

describe('inferCadenceDays', () => {
  it.each(cases)('$title -> $expected', ({ days, expected }) => {
    expect(inferCadenceDays(days.map(at))).toBe(expected);
  });

  it('ignores invalid dates', () => {
    expect(inferCadenceDays([at(0), new Date(Number.NaN), at(7), at(14)])).toBe(7);
  });

  it('a daily thread does not chain into one endless exchange (windows anchor on their start)', () => {
    // Every 20 hours: each message is within 24 h of the previous one.
    const times = Array.from({ length: 6 }, (_, i) => new Date(T0 + i * 20 * 3_600_000));
    expect(exchangeStarts(times)).toHaveLength(3);
  });

  it('is independent of order and always within [3, 365] or null', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2000 * 24 }), { maxLength: 30 }), (hours) => {
        const times = hours.map((h) => new Date(T0 + h * 3_600_000));
        const result = inferCadenceDays(times);
        expect(inferCadenceDays([...times].reverse())).toBe(result);
        if (result !== null) {
          expect(result).toBeGreaterThanOrEqual(3);
          expect(result).toBeLessThanOrEqual(365);
          expect(Number.isInteger(result)).toBe(true);
        }
        expect(result === null).toBe(exchangeStarts(times).length < 3);
      }),
    );
  });
});
