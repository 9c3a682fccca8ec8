import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/lib/backoff.ts';

describe('bounded exponential backoff with jitter', () => {
  it.each([
    // attempt, random, expected ms (base 1000, cap 32000)
    [0, 0, 500],
    [0, 1, 1000],
    [1, 0, 1000],
    [3, 0.5, 6000],
    [5, 1, 32000],
    [10, 0, 16000],
    [10, 1, 32000],
  ])('attempt %i with random %d waits %i ms', (attempt, random, expected) => {
    expect(backoffDelay(attempt, 1000, 32_000, () => random)).toBe(expected);
  });

  it('grows with each attempt until the cap, whatever the jitter', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const longestNow = backoffDelay(attempt, 1000, 32_000, () => 1);
      const shortestNext = backoffDelay(attempt + 1, 1000, 32_000, () => 0);
      expect(shortestNext).toBeGreaterThanOrEqual(longestNow / 2);
      expect(longestNow).toBeLessThanOrEqual(32_000);
    }
  });
});
