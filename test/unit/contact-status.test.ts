import { describe, expect, it } from 'vitest';
import {
  type ContactStatus,
  contactStatus,
  effectiveCadenceDays,
  lapseThresholdDays,
  overdueRatio,
  type StatusFacts,
} from '../../src/contacts/contact-status.ts';

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date('2024-06-01T00:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY);

function facts(overrides: Partial<StatusFacts> = {}): StatusFacts {
  return {
    mutedAt: null,
    snoozedUntil: null,
    lastContactAt: daysAgo(10),
    cadenceDays: null,
    inferredCadenceDays: null,
    ...overrides,
  };
}

const cases: { title: string; c: Partial<StatusFacts>; expected: ContactStatus }[] = [
  { title: 'recent contact', c: {}, expected: 'active' },
  {
    title: 'default cadence 60: 120 days is not yet lapsed',
    c: { lastContactAt: daysAgo(120) },
    expected: 'active',
  },
  { title: 'default cadence 60: 121 days is lapsed', c: { lastContactAt: daysAgo(121) }, expected: 'lapsed' },
  {
    title: 'inferred weekly: 30-day floor holds',
    c: { inferredCadenceDays: 7, lastContactAt: daysAgo(29) },
    expected: 'active',
  },
  {
    title: 'inferred weekly: past the 30-day floor',
    c: { inferredCadenceDays: 7, lastContactAt: daysAgo(31) },
    expected: 'lapsed',
  },
  {
    title: 'inferred 30: 61 days',
    c: { inferredCadenceDays: 30, lastContactAt: daysAgo(61) },
    expected: 'lapsed',
  },
  {
    title: 'explicit cadence wins over inferred',
    c: { cadenceDays: 90, inferredCadenceDays: 7, lastContactAt: daysAgo(100) },
    expected: 'active',
  },
  { title: 'years of silence stay lapsed', c: { lastContactAt: daysAgo(3 * 365) }, expected: 'lapsed' },
  { title: 'no last contact is active', c: { lastContactAt: null }, expected: 'active' },
  {
    title: 'last contact in the future (clock skew) is active',
    c: { lastContactAt: daysAgo(-5) },
    expected: 'active',
  },
  {
    title: 'snoozed until later',
    c: { lastContactAt: daysAgo(400), snoozedUntil: daysAgo(-1) },
    expected: 'snoozed',
  },
  {
    title: 'snooze ending exactly now is over',
    c: { lastContactAt: daysAgo(400), snoozedUntil: NOW },
    expected: 'lapsed',
  },
  { title: 'snooze in the past is over', c: { snoozedUntil: daysAgo(3) }, expected: 'active' },
  {
    title: 'muted beats snoozed and lapsed',
    c: { mutedAt: daysAgo(1), snoozedUntil: daysAgo(-9), lastContactAt: daysAgo(400) },
    expected: 'muted',
  },
];

describe('contactStatus', () => {
  it.each(cases)('$title -> $expected', ({ c, expected }) => {
    expect(contactStatus(facts(c), NOW)).toBe(expected);
  });
});

describe('overdueRatio and thresholds', () => {
  it.each([
    { c: { lastContactAt: daysAgo(60) }, expected: 0.5 },
    { c: { lastContactAt: daysAgo(240) }, expected: 2 },
    { c: { inferredCadenceDays: 7, lastContactAt: daysAgo(45) }, expected: 1.5 },
    { c: { cadenceDays: 30, lastContactAt: daysAgo(60) }, expected: 1 },
    { c: { lastContactAt: null }, expected: 0 },
    { c: { lastContactAt: daysAgo(-3) }, expected: 0 },
  ])('overdueRatio $c -> $expected', ({ c, expected }) => {
    expect(overdueRatio(facts(c), NOW)).toBeCloseTo(expected, 10);
  });

  it.each([
    { c: { cadenceDays: null, inferredCadenceDays: null }, cadence: 60, threshold: 120 },
    { c: { cadenceDays: null, inferredCadenceDays: 10 }, cadence: 10, threshold: 30 },
    { c: { cadenceDays: 45, inferredCadenceDays: 10 }, cadence: 45, threshold: 90 },
    { c: { cadenceDays: 0, inferredCadenceDays: null }, cadence: 60, threshold: 120 },
  ])('cadence $c -> $cadence days, lapse after $threshold', ({ c, cadence, threshold }) => {
    expect(effectiveCadenceDays(c)).toBe(cadence);
    expect(lapseThresholdDays(c)).toBe(threshold);
  });
});
