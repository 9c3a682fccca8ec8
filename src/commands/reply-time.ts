import * as chrono from 'chrono-node';
import { wallClockMs } from '../lib/zoned-time.ts';

export type DurationUnit = 'd' | 'w' | 'm' | 'y';

/** "d", "days", "wk", "weeks", "mo", "months", "yr", "years"… ("m" is months: nobody snoozes minutes). */
export function unitOf(word: string | undefined): DurationUnit | undefined {
  return word === undefined ? undefined : UNIT_WORDS.get(word);
}

/** "3", "a", "an", "one".."ten"; digits past nine are Infinity, which every cap then handles. */
export function amountOf(word: string | undefined): number | undefined {
  if (word === undefined) return undefined;
  if (/^\d+$/.test(word)) return toCount(word);
  if (word === 'a' || word === 'an') return 1;
  const index = NUMBER_WORDS.indexOf(word);
  return index >= 0 ? index + 1 : undefined;
}

/** Digits as a number; more than nine digits only ever exceeds a limit, so Infinity avoids rounding. */
export function toCount(digits: string | undefined): number {
  return digits === undefined || digits.length > 9 ? Number.POSITIVE_INFINITY : Number(digits);
}

/**
 * A cadence in days, or null outside 1 day to 10 years. A cadence is a rhythm, not a calendar
 * date: months are 30 days and years 365, as in parse-cadence.ts.
 */
export function cadenceDays(amount: number, unit: DurationUnit): number | null {
  const days = amount * { d: 1, w: 7, m: 30, y: 365 }[unit];
  return days >= 1 && days <= 3650 ? days : null;
}

/** "weekly", "monthly"… as a cadence in days. */
export function rhythmDays(word: string | undefined): number | undefined {
  return word === undefined ? undefined : RHYTHMS.get(word);
}

/**
 * When "snooze N <amount><unit>" ends: the start (local midnight) of the day that many calendar
 * days, weeks, months or years after today in the user's zone. Counting local days rather than
 * adding milliseconds means "3w" sent on a Monday ends at the start of the Monday three weeks on,
 * so the digest of that morning shows the item again, whatever DST did in between, and whatever
 * hour the reply was written. Months and years are calendar ones (Jan 31 + 1 month = Feb 28).
 * Anything beyond one year is capped to one year from today, silently.
 */
export function snoozeForDuration(amount: number, unit: DurationUnit, now: Date, timeZone: string): Date {
  const today = localDateOf(now, timeZone);
  const cap = addMonths(today, 12);
  // Clamp before the arithmetic so a 10^30-year snooze cannot overflow Date; the cap applies anyway.
  const target =
    unit === 'd' || unit === 'w'
      ? addDays(today, Math.min(amount * (unit === 'w' ? 7 : 1), 400))
      : addMonths(today, Math.min(amount * (unit === 'y' ? 12 : 1), 13));
  return startOfLocalDay(compare(target, cap) > 0 ? cap : target, timeZone);
}

/**
 * "until March 3", "until next Friday", "until 2027-03-03": the start of that day in the user's
 * zone, read forward from today (March 3 in late November is next year's). Null when chrono does
 * not read all of the text as one day, when the day is today or past, or when it is ambiguous:
 * numeric day/month forms ("3/4") mean different days in the US and Europe, and "until March"
 * names no day. A time of day ("Friday 5pm") is ignored: snoozes are whole days. Days beyond one
 * year from today are capped to one year.
 */
export function snoozeUntilDate(text: string, now: Date, timeZone: string): Date | null {
  const phrase = text.trim();
  if (phrase.length === 0 || phrase.length > 40) return null;
  if (/\d\s*[-/.]\s*\d/.test(phrase) && !/^\d{4}-\d{1,2}-\d{1,2}$/.test(phrase)) return null;
  const today = localDateOf(now, timeZone);
  // chrono cannot take an IANA zone, so it reads the phrase against the local wall clock posing as
  // UTC; the year, month and day it returns are then the user's local calendar date.
  const wallClock = new Date(Date.UTC(today.year, today.month - 1, today.day, 12));
  const results = chrono.parse(phrase, { instant: wallClock, timezone: 0 }, { forwardDate: true });
  const result = results[0];
  if (results.length !== 1 || !result || result.index !== 0 || result.text.length !== phrase.length) {
    return null;
  }
  if (result.end || !(result.start.isCertain('day') || result.start.isCertain('weekday'))) return null;
  const year = result.start.get('year');
  const month = result.start.get('month');
  const day = result.start.get('day');
  if (year === null || month === null || day === null) return null;
  let target: LocalDate = { year, month, day };
  // chrono reads a bare weekday on that same weekday as today; the user means the next one.
  if (!result.start.isCertain('day') && compare(target, today) === 0) target = addDays(today, 7);
  if (compare(target, today) <= 0) return null;
  const cap = addMonths(today, 12);
  return startOfLocalDay(compare(target, cap) > 0 ? cap : target, timeZone);
}

const UNIT_WORDS = new Map<string, DurationUnit>(
  (['d day days', 'w wk wks week weeks', 'm mo mos month months', 'y yr yrs year years'] as const).flatMap(
    (words) => words.split(' ').map((word): [string, DurationUnit] => [word, words[0] as DurationUnit]),
  ),
);
const NUMBER_WORDS = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
const RHYTHMS = new Map([
  ['daily', 1],
  ['weekly', 7],
  ['fortnightly', 14],
  ['monthly', 30],
  ['quarterly', 90],
  ['yearly', 365],
]);

interface LocalDate {
  year: number;
  month: number; // 1-12
  day: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
function localDateOf(instant: Date, timeZone: string): LocalDate {
  const wall = wallClockMs(instant.getTime(), timeZone);
  const date = new Date(wall);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

/**
 * The first instant of a local day. Usually local midnight; where a DST change skips midnight
 * (some zones switch at 00:00) it is the moment the clocks jump. Each candidate offset comes from
 * around that day, and the earliest instant that falls on the day wins.
 */
function startOfLocalDay(date: LocalDate, timeZone: string): Date {
  const midnightAsUtc = Date.UTC(date.year, date.month - 1, date.day);
  let best: number | null = null;
  for (const probe of [midnightAsUtc - DAY_MS, midnightAsUtc, midnightAsUtc + DAY_MS]) {
    const candidate = midnightAsUtc - (wallClockMs(probe, timeZone) - probe);
    const local = localDateOf(new Date(candidate), timeZone);
    if (compare(local, date) === 0 && (best === null || candidate < best)) best = candidate;
  }
  return new Date(best ?? midnightAsUtc - (wallClockMs(midnightAsUtc, timeZone) - midnightAsUtc));
}

function addDays(date: LocalDate, days: number): LocalDate {
  const shifted = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}

function addMonths(date: LocalDate, months: number): LocalDate {
  const monthIndex = date.month - 1 + months;
  const year = date.year + Math.floor(monthIndex / 12);
  const month = (monthIndex % 12) + 1;
  // Day 0 of the following month is the last day of this one: clamp Jan 31 + 1 month to Feb 28.
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return { year, month, day: Math.min(date.day, lastDay) };
}

function compare(a: LocalDate, b: LocalDate): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}
