import { wallClockMs } from '../lib/zoned-time.ts';

/**
 * The digest period: the ISO week of `at` in the user's time zone, e.g. "2026-W47". One digest
 * per user per period is the unique key that makes "never twice" a database fact.
 */
export function digestPeriod(at: Date, timeZone: string): string {
  // The local calendar date, as a UTC date, so ISO week arithmetic ignores the clock.
  const wall = new Date(wallClockMs(at.getTime(), timeZone));
  const local = new Date(Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth(), wall.getUTCDate()));
  const weekday = local.getUTCDay() || 7;
  local.setUTCDate(local.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(local.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((local.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${local.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}
