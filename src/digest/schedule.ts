import { wallClockMs } from '../lib/zoned-time.ts';
import { digestPeriod } from './period.ts';

export interface DigestSchedule {
  /** ISO weekday, 1 = Monday .. 7 = Sunday. */
  digestDay: number;
  digestHour: number;
  timeZone: string;
}

/**
 * The latest moment at or before `now` when this user's digest was due: their weekday and hour
 * on their own wall clock, whatever DST did to the offset that week. With its period, it is what
 * the sweeper compares with the digests already sent.
 */
export function lastDueAt(schedule: DigestSchedule, now: Date): { at: Date; period: string } {
  const local = wallClock(now, schedule.timeZone);
  const weekday = new Date(Date.UTC(local.year, local.month - 1, local.day)).getUTCDay() || 7;
  let daysBack = (weekday - schedule.digestDay + 7) % 7;
  let at = zonedTime(schedule.timeZone, local.year, local.month, local.day - daysBack, schedule.digestHour);
  if (at.getTime() > now.getTime()) {
    daysBack += 7;
    at = zonedTime(schedule.timeZone, local.year, local.month, local.day - daysBack, schedule.digestHour);
  }
  return { at, period: digestPeriod(at, schedule.timeZone) };
}

interface WallClock {
  year: number;
  month: number;
  day: number;
}

function wallClock(at: Date, timeZone: string): WallClock {
  const local = new Date(wallClockMs(at.getTime(), timeZone));
  return { year: local.getUTCFullYear(), month: local.getUTCMonth() + 1, day: local.getUTCDate() };
}

/**
 * The instant when the wall clock in `timeZone` shows that date at `hour`:00 (day may overflow;
 * Date.UTC normalises it). In a spring-forward gap the hour does not exist; the instant an hour
 * later on the same wall clock is used, as clocks themselves do.
 */
function zonedTime(timeZone: string, year: number, month: number, day: number, hour: number): Date {
  const wanted = Date.UTC(year, month - 1, day, hour);
  let guess = wanted;
  // Two rounds settle the offset, also across a DST change between the guess and the answer.
  for (let i = 0; i < 2; i++) guess += wanted - wallClockMs(guess, timeZone);
  return new Date(guess);
}
