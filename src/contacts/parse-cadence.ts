import { AppError } from '../lib/errors.ts';

const UNIT_DAYS: Record<string, number> = { d: 1, w: 7, m: 30, y: 365 };
const UNIT_ALIASES: Record<string, string> = {
  d: 'd',
  day: 'd',
  days: 'd',
  w: 'w',
  wk: 'w',
  week: 'w',
  weeks: 'w',
  m: 'm',
  mo: 'm',
  month: 'm',
  months: 'm',
  y: 'y',
  yr: 'y',
  year: 'y',
  years: 'y',
};

/**
 * "3m", "6 weeks", "10d", "1y" as days; "off", "auto" or "none" as null (go back to the inferred
 * rhythm). Months are 30 days: a cadence is a rhythm, not a calendar date.
 */
export function parseCadence(text: string): number | null {
  const value = text.trim().toLowerCase();
  if (['off', 'auto', 'none', 'inferred'].includes(value)) return null;
  const match = /^(\d{1,4})\s*([a-z]+)$/.exec(value);
  const unit = match?.[2] ? UNIT_ALIASES[match[2]] : undefined;
  const amount = Number(match?.[1]);
  if (!match || !unit || amount < 1) {
    throw new AppError(
      'CADENCE_INVALID',
      `"${text}" is not a cadence: use a number and a unit, e.g. 10d, 6w, 3m or 1y (or "auto" for the inferred rhythm)`,
    );
  }
  const days = amount * (UNIT_DAYS[unit] ?? 1);
  if (days > 3650)
    throw new AppError('CADENCE_INVALID', `"${text}" is longer than ten years: mute the contact instead`);
  return days;
}

/** A cadence in the words a person uses: 7 -> "every week", 90 -> "every 3 months". */
export function describeCadence(days: number): string {
  if (days % 365 === 0) return days === 365 ? 'every year' : `every ${days / 365} years`;
  if (days % 30 === 0 && days >= 60) return `every ${days / 30} months`;
  if (days === 30) return 'every month';
  if (days % 7 === 0) return days === 7 ? 'every week' : `every ${days / 7} weeks`;
  return days === 1 ? 'every day' : `every ${days} days`;
}
