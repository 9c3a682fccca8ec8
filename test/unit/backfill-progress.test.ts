import { describe, expect, it } from 'vitest';
import { backfillProgressText, backfillSecondsLeft } from '../../src/sync/backfill-progress.ts';

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
