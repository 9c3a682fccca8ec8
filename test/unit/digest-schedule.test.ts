import { describe, expect, it } from 'vitest';
import { lastDueAt } from '../../src/digest/schedule.ts';

const monday8 = (timeZone: string) => ({ digestDay: 1, digestHour: 8, timeZone });

describe('when the weekly digest was last due', () => {
  it.each([
    // Berlin, winter (UTC+1): Monday 08:00 local is 07:00Z.
    ['2026-11-23T07:30:00Z', 'Europe/Berlin', '2026-11-23T07:00:00.000Z', '2026-W48'],
    // A minute before it is due, the previous week's is the last due.
    ['2026-11-23T06:59:00Z', 'Europe/Berlin', '2026-11-16T07:00:00.000Z', '2026-W47'],
    // The Monday after spring-forward (29 Mar 2026): UTC+2, so 06:00Z.
    ['2026-03-30T09:00:00Z', 'Europe/Berlin', '2026-03-30T06:00:00.000Z', '2026-W14'],
    // The week before it, still UTC+1.
    ['2026-03-25T09:00:00Z', 'Europe/Berlin', '2026-03-23T07:00:00.000Z', '2026-W13'],
    // New York after fall-back (1 Nov 2026): UTC-5.
    ['2026-11-02T14:00:00Z', 'America/New_York', '2026-11-02T13:00:00.000Z', '2026-W45'],
    // Late Sunday in New York is already Monday in UTC: still last week's Monday locally.
    ['2026-11-09T03:00:00Z', 'America/New_York', '2026-11-02T13:00:00.000Z', '2026-W45'],
    ['2026-11-23T08:00:00Z', 'UTC', '2026-11-23T08:00:00.000Z', '2026-W48'],
  ])('at %s in %s: %s (%s)', (now, zone, dueAt, period) => {
    const due = lastDueAt(monday8(zone), new Date(now));
    expect(due.at.toISOString()).toBe(dueAt);
    expect(due.period).toBe(period);
  });

  it('keeps Sunday 20:00 on the wall clock across the change of offset', () => {
    const schedule = { digestDay: 7, digestHour: 20, timeZone: 'Europe/London' };
    expect(lastDueAt(schedule, new Date('2026-03-29T21:00:00Z')).at.toISOString()).toBe(
      '2026-03-29T19:00:00.000Z',
    );
    expect(lastDueAt(schedule, new Date('2026-03-28T21:00:00Z')).at.toISOString()).toBe(
      '2026-03-22T20:00:00.000Z',
    );
  });
});
