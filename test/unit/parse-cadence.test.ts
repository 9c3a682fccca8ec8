import { describe, expect, it } from 'vitest';
import { describeCadence, parseCadence } from '../../src/contacts/parse-cadence.ts';

describe('cadence', () => {
  it.each([
    ['10d', 10],
    ['6w', 42],
    ['3m', 90],
    ['1y', 365],
    ['2 weeks', 14],
    ['  3 Months ', 90],
    ['auto', null],
    ['off', null],
  ])('%s is %s days', (text, days) => {
    expect(parseCadence(text)).toBe(days);
  });

  it.each(['', 'soon', '3', 'm3', '0d', '-2w', '3 fortnights', '20y'])(
    'refuses %j with an example of what works',
    (text) => {
      expect(() => parseCadence(text)).toThrow(/10d|ten years/);
    },
  );

  it.each([
    [7, 'every week'],
    [14, 'every 2 weeks'],
    [30, 'every month'],
    [90, 'every 3 months'],
    [365, 'every year'],
    [10, 'every 10 days'],
  ])('%s days reads "%s"', (days, words) => {
    expect(describeCadence(days)).toBe(words);
  });
});
