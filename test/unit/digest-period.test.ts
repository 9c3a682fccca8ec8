import { describe, expect, it } from 'vitest';
import { digestPeriod } from '../../src/digest/period.ts';

describe('digest period (ISO week in the user time zone)', () => {
  it.each([
    ['2026-11-23T08:00:00Z', 'UTC', '2026-W48'],
    ['2026-11-22T23:30:00Z', 'UTC', '2026-W47'],
    // Still Sunday in New York, already Monday in Tokyo.
    ['2026-11-23T03:00:00Z', 'America/New_York', '2026-W47'],
    ['2026-11-22T16:00:00Z', 'Asia/Tokyo', '2026-W48'],
    // ISO years: 1 Jan 2027 is a Friday, in week 53 of 2026; 31 Dec 2029 is in 2030-W01.
    ['2027-01-01T12:00:00Z', 'UTC', '2026-W53'],
    ['2029-12-31T12:00:00Z', 'UTC', '2030-W01'],
  ])('%s in %s is %s', (at, zone, period) => {
    expect(digestPeriod(new Date(at), zone)).toBe(period);
  });
});
