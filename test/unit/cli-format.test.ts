import { describe, expect, it } from 'vitest';
import { agoToTheMinute } from '../../src/cli/format.ts';

const now = new Date('2026-12-03T12:00:00Z');
const MIN = 60;
const HOUR = 3600;

describe('when something last ran, to the minute', () => {
  it.each([
    [-30, 'just now'], // a clock a little ahead is not "in the future"
    [0, 'just now'],
    [59, 'just now'],
    [MIN, '1 min ago'],
    [3 * MIN + 20, '3 min ago'],
    [59 * MIN + 59, '59 min ago'],
    [HOUR, '1 h ago'],
    [5 * HOUR + 50 * MIN, '5 h ago'],
    [47 * HOUR + 59 * MIN, '47 h ago'],
    [48 * HOUR, '2d ago'],
    [20 * 24 * HOUR, '3w ago'],
  ])('%i s ago reads "%s"', (seconds, text) => {
    expect(agoToTheMinute(new Date(now.getTime() - seconds * 1000), now)).toBe(text);
  });

  it('says never for what never ran', () => {
    expect(agoToTheMinute(null, now)).toBe('never');
  });
});
