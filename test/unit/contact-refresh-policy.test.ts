import { describe, expect, it } from 'vitest';
import {
  isContactRefreshDue,
  REFRESH_AT_LEAST_EVERY_MS,
  REFRESH_AT_MOST_EVERY_MS,
} from '../../src/sync/contact-refresh-policy.ts';

/**
 * A backfill read at `perSecond` messages a second in chunks of `chunk` messages, as syncAccount
 * asks the policy at each chunk's start: the messages listed at each recompute (the first chunk's
 * and the end's included).
 */
function recomputes(total: number, perSecond: number, chunk: number): number[] {
  const listedAt: number[] = [chunk];
  let lastAtMs = (chunk / perSecond) * 1000;
  for (let listed = chunk; listed < total; listed += chunk) {
    const nowMs = (listed / perSecond) * 1000;
    if (isContactRefreshDue(listed, listedAt.at(-1) ?? 0, nowMs - lastAtMs)) {
      listedAt.push(listed);
      lastAtMs = nowMs;
    }
  }
  listedAt.push(total);
  return listedAt;
}

describe('when a backfill recomputes its contacts (decision 0010)', () => {
  it('always after its first chunk; never when nothing new was listed', () => {
    expect(isContactRefreshDue(500, 0, 0)).toBe(true);
    expect(isContactRefreshDue(4_000, 4_000, 10 * REFRESH_AT_LEAST_EVERY_MS)).toBe(false);
  });

  it('when the mailbox read has doubled, once a minute at most', () => {
    expect(isContactRefreshDue(8_000, 4_000, REFRESH_AT_MOST_EVERY_MS - 1)).toBe(false);
    expect(isContactRefreshDue(8_000, 4_000, REFRESH_AT_MOST_EVERY_MS)).toBe(true);
    expect(isContactRefreshDue(7_999, 4_000, REFRESH_AT_MOST_EVERY_MS)).toBe(false);
  });

  it('after 30 minutes, however little was read since', () => {
    expect(isContactRefreshDue(4_001, 4_000, REFRESH_AT_LEAST_EVERY_MS - 1)).toBe(false);
    expect(isContactRefreshDue(4_001, 4_000, REFRESH_AT_LEAST_EVERY_MS)).toBe(true);
  });

  it('under the legacy quota (50 messages/s), at every doubling', () => {
    expect(recomputes(100_000, 50, 3_000)).toEqual([3_000, 6_000, 12_000, 24_000, 48_000, 96_000, 100_000]);
  });

  it('under the 2026 quota (5 messages/s), every 30 minutes as well', () => {
    const listed = recomputes(100_000, 5, 300);
    expect(listed.slice(0, 4)).toEqual([300, 600, 1_200, 2_400]);
    // From 9,600 on a doubling would take more than 30 minutes: 9,000 messages each half hour.
    expect(listed.slice(4, 8)).toEqual([4_800, 9_600, 18_600, 27_600]);
    expect(listed.at(-1)).toBe(100_000);
  });

  it('faster than a doubling a minute, once a minute at most: the reads stay below twice the mailbox', () => {
    // A raised quota: 1,000 messages/s in chunks of 5,000.
    const raised = recomputes(1_000_000, 1_000, 5_000);
    expect(raised).toEqual([5_000, 65_000, 130_000, 260_000, 520_000, 1_000_000]);
    // The quota off (the ingest bench's 20,000 messages/s): the first chunk and the end only.
    expect(recomputes(100_000, 20_000, 5_000)).toEqual([5_000, 100_000]);
    const reads = raised.reduce((sum, listed) => sum + listed, 0);
    expect(reads).toBeLessThan(2 * 1_000_000);
  });
});
