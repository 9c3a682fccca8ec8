import { DAY_MS } from '../lib/clock.ts';

/** Bounds of an inferred rhythm: tighter than every few days or looser than yearly means nothing. */
export const MIN_CADENCE_DAYS = 3;
export const MAX_CADENCE_DAYS = 365;
/** Two exchanges give one gap, which is an accident rather than a rhythm. */
export const MIN_EXCHANGES = 3;

/**
 * How often, in whole days, the user and a person typically exchange mail, or null when there
 * are fewer than MIN_EXCHANGES exchanges. Bursts collapse first (a back-and-forth within 24 hours
 * is one exchange), then the median gap between exchanges is taken, so one long silence or one
 * busy week does not move it; the result is clamped to [MIN_CADENCE_DAYS, MAX_CADENCE_DAYS].
 * Input order does not matter; invalid dates are ignored.
 */
export function inferCadenceDays(times: readonly Date[]): number | null {
  return cadenceOfSortedTimes(sortedTimes(times));
}

/** inferCadenceDays for times already in ms, valid and ascending (what aggregateContact holds). */
export function cadenceOfSortedTimes(sortedMs: readonly number[]): number | null {
  const starts = startsOfSorted(sortedMs);
  if (starts.length < MIN_EXCHANGES) return null;
  const gaps: number[] = [];
  for (let i = 1; i < starts.length; i++) gaps.push(((starts[i] ?? 0) - (starts[i - 1] ?? 0)) / DAY_MS);
  const days = Math.round(median(gaps));
  return Math.min(MAX_CADENCE_DAYS, Math.max(MIN_CADENCE_DAYS, days));
}

/**
 * Start times (ms, ascending) of exchanges: a message within 24 hours of the start of the current
 * exchange joins it. Anchoring on the start, not the previous message, stops a steady daily
 * thread from chaining into one endless exchange.
 */
export function exchangeStarts(times: readonly Date[]): number[] {
  return startsOfSorted(sortedTimes(times));
}

function sortedTimes(times: readonly Date[]): number[] {
  return times
    .map((t) => t.getTime())
    .filter((ms) => Number.isFinite(ms))
    .sort((a, b) => a - b);
}

function startsOfSorted(sortedMs: readonly number[]): number[] {
  const starts: number[] = [];
  for (const ms of sortedMs) {
    const current = starts[starts.length - 1];
    if (current === undefined || ms - current >= DAY_MS) starts.push(ms);
  }
  return starts;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[mid] ?? 0;
  return ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
