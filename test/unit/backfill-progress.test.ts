import { describe, expect, it } from 'vitest';
import {
  backfillProgressText,
  backfillSecondsLeft,
  backfillTotalAfter,
} from '../../src/sync/backfill-progress.ts';

const startedAt = new Date('2026-12-03T08:00:00Z');
const at = (minutes: number) => new Date(startedAt.getTime() + minutes * 60_000);
const account = (listed: number, total: number | null, began: Date | null = startedAt) => ({
  backfillListed: listed,
  backfillTotal: total,
  backfillStartedAt: began,
});

describe('how long a backfill has left', () => {
  it('goes by the rate since the backfill began', () => {
    // 30,000 of 100,000 in an hour: 70,000 more take about 2 h 20 min.
    expect(backfillSecondsLeft(account(30_000, 100_000), at(60))).toBe(8_400);
    expect(backfillProgressText(account(30_000, 100_000), at(60))).toBe('30%, about 2 h 20 min left');
  });

  it('says nothing it cannot know: before a minute, nothing read, no size, no start, or past the size', () => {
    expect(backfillSecondsLeft(account(500, 100_000), at(0.5))).toBeNull();
    expect(backfillSecondsLeft(account(0, 100_000), at(10))).toBeNull();
    expect(backfillSecondsLeft(account(500, null), at(10))).toBeNull();
    // Started before touchbase recorded when backfills begin.
    expect(backfillSecondsLeft(account(500, 100_000, null), at(10))).toBeNull();
    // The mailbox grew while it was read: more listed than its size at the start.
    expect(backfillSecondsLeft(account(100_500, 100_000), at(10))).toBeNull();
    expect(backfillProgressText(account(500, 100_000), at(0.5))).toBe('0%');
    expect(backfillProgressText(account(1_200, null), at(10))).toBe('1,200 messages');
  });
});

describe("a backfill's total as its pages come", () => {
  // [case, total before the page, the page, total after]
  const cases: [string, number | null, { listed: number; done: boolean; total?: number }, number | null][] = [
    // Ten years of mail, two of them within BACKFILL_DAYS.
    [
      'the first listing lowers the mailbox size to its estimate',
      100_000,
      { listed: 500, done: false, total: 20_000 },
      20_000,
    ],
    ['a page without an estimate keeps the total', 20_000, { listed: 1_000, done: false }, 20_000],
    ['an estimate never raises the bound', 3_000, { listed: 500, done: false, total: 4_000 }, 3_000],
    [
      'an estimate is taken where the size was unknown',
      null,
      { listed: 500, done: false, total: 2_000 },
      2_000,
    ],
    [
      'an estimate the page itself passed is ignored',
      100_000,
      { listed: 500, done: false, total: 0 },
      100_000,
    ],
    ['a total passed by the listing grows to it', 20_000, { listed: 20_500, done: false }, 20_500],
    ['an unknown size stays unknown', null, { listed: 500, done: false }, null],
    [
      'a finished backfill is all of its total, short of the estimate',
      20_000,
      { listed: 19_800, done: true },
      19_800,
    ],
    [
      'a finished backfill is all of its total, past the estimate',
      20_000,
      { listed: 20_300, done: true },
      20_300,
    ],
    ['a finished backfill of unknown size knows it at the end', null, { listed: 700, done: true }, 700],
  ];
  it.each(cases)('%s', (_, before, page, after) => {
    expect(backfillTotalAfter(before, page)).toBe(after);
  });

  it('never reads over 100%, nor 100% before the end', () => {
    const total = backfillTotalAfter(20_000, { listed: 20_500, done: false });
    expect(backfillProgressText(account(20_500, total), at(60))).toBe('99%');
    expect(backfillSecondsLeft(account(20_500, total), at(60))).toBeNull();
  });
});
