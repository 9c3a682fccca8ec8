import { DAY_MS } from '../lib/clock.ts';

export type ContactStatus = 'active' | 'lapsed' | 'snoozed' | 'muted';

/** What the status rules need to know about a contact. */
export interface StatusFacts {
  mutedAt: Date | null;
  snoozedUntil: Date | null;
  lastContactAt: Date | null;
  /** The rhythm the user set explicitly, if any. */
  cadenceDays: number | null;
  inferredCadenceDays: number | null;
}

/** The rhythm assumed for someone with no explicit or inferred cadence. */
export const DEFAULT_CADENCE_DAYS = 60;
/** Silence shorter than this is never a lapse, however frequent the rhythm. */
export const MIN_LAPSE_DAYS = 30;
/** A contact lapses after this many cadences of silence: one missed beat is normal. */
export const LAPSE_CADENCE_FACTOR = 2;

/**
 * muted > snoozed (until snoozedUntil, exclusive) > lapsed > active. Lapsed means the silence
 * since lastContactAt exceeds lapseThresholdDays. Very old silences stay lapsed: the ranking, not
 * the status, decides whether a relationship from years ago is worth a line in the digest. A
 * contact with no known last contact is active: there is no silence to measure.
 */
export function contactStatus(c: StatusFacts, now: Date): ContactStatus {
  if (c.mutedAt !== null) return 'muted';
  if (c.snoozedUntil !== null && c.snoozedUntil.getTime() > now.getTime()) return 'snoozed';
  return overdueRatio(c, now) > 1 ? 'lapsed' : 'active';
}

/**
 * Silence divided by the lapse threshold: 0 just after contact, 1 at the threshold, 2 when twice
 * as long. 0 without a last contact (or one in the future, from clock skew).
 */
export function overdueRatio(c: StatusFacts, now: Date): number {
  if (c.lastContactAt === null) return 0;
  return silenceDays(c.lastContactAt, now) / lapseThresholdDays(c);
}

/** Days of silence after which a contact is lapsed: max(cadence × 2, 30). */
export function lapseThresholdDays(c: Pick<StatusFacts, 'cadenceDays' | 'inferredCadenceDays'>): number {
  return Math.max(effectiveCadenceDays(c) * LAPSE_CADENCE_FACTOR, MIN_LAPSE_DAYS);
}

/** Explicit cadence, else inferred, else the default; non-positive values are ignored. */
export function effectiveCadenceDays(c: Pick<StatusFacts, 'cadenceDays' | 'inferredCadenceDays'>): number {
  for (const days of [c.cadenceDays, c.inferredCadenceDays]) {
    if (days !== null && Number.isFinite(days) && days > 0) return days;
  }
  return DEFAULT_CADENCE_DAYS;
}

/** Whole and fractional days from `since` to `now`, never negative. */
export function silenceDays(since: Date, now: Date): number {
  return Math.max(0, (now.getTime() - since.getTime()) / DAY_MS);
}
