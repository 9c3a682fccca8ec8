/** Human phrasing of times and rhythms for the digest (English for now). */

const DAY_MS = 86_400_000;
const DAYS_PER_MONTH = 30.44;
const DAYS_PER_YEAR = 365.25;

// 'auto' turns 0 and -1 days into "today" and "yesterday"; the larger units below never reach
// -1 (weeks start at 2, months at 2, years at 2), so they always read "N units ago".
const relativeFormat = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "yesterday", "5 days ago", "3 weeks ago", "4 months ago", "2 years ago". */
export function formatRelative(then: Date, now: Date): string {
  // A date slightly in the future (clock skew between provider and us) reads as "today".
  const days = Math.max(0, Math.floor((now.getTime() - then.getTime()) / DAY_MS));
  if (days < 14) return relativeFormat.format(-days, 'day');
  if (days < 60) return relativeFormat.format(-Math.round(days / 7), 'week');
  if (days < 548) return relativeFormat.format(-Math.round(days / DAYS_PER_MONTH), 'month');
  return relativeFormat.format(-Math.round(days / DAYS_PER_YEAR), 'year');
}

/** "every day", "every 5 days", "every week", "every 3 weeks", "every 2 months", "every year". */
export function formatCadence(days: number): string {
  if (days <= 1) return 'every day';
  if (days < 10 && days !== 7) return `every ${Math.round(days)} days`;
  if (days < 60) return every(Math.round(days / 7), 'week');
  if (days < 350) return every(Math.round(days / DAYS_PER_MONTH), 'month');
  return every(Math.round(days / DAYS_PER_YEAR), 'year');
}

/** "14 Feb 2025", as the calendar reads in the user's time zone. */
export function formatDate(date: Date, timeZone: string): string {
  return dateFormat(timeZone).format(date);
}

// Building an Intl.DateTimeFormat for a time zone costs about 0.25 ms, more than rendering the
// rest of a digest, so one is kept per zone. Zones are few; the cap only guards against a flood
// of distinct misspellings.
const dateFormats = new Map<string, Intl.DateTimeFormat>();
const MAX_DATE_FORMATS = 1000;

function dateFormat(timeZone: string): Intl.DateTimeFormat {
  let format = dateFormats.get(timeZone);
  if (!format) {
    if (dateFormats.size >= MAX_DATE_FORMATS) dateFormats.clear();
    format = new Intl.DateTimeFormat('en-GB', {
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      timeZone: safeTimeZone(timeZone),
    });
    dateFormats.set(timeZone, format);
  }
  return format;
}

/**
 * The user's zone if the runtime knows it, else UTC: a stale or misspelt zone in settings should
 * shift a date by some hours, not stop the weekly digest from going out.
 */
export function safeTimeZone(timeZone: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return timeZone;
  } catch {
    return 'UTC';
  }
}

function every(count: number, unit: 'week' | 'month' | 'year'): string {
  return count <= 1 ? `every ${unit}` : `every ${count} ${unit}s`;
}

/** A wait in words a person reads at a glance: 40 s, 12 min, 3 h 20 min, 2 d 5 h. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 90) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}
