import { describe, expect, it } from 'vitest';
import { settingsSchema } from '../../src/users/update-settings.ts';

describe('digest settings', () => {
  it('reads weekdays by name or number, hours, zones and the empty-week choice', () => {
    expect(
      settingsSchema.parse({
        digestDay: 'Friday',
        digestHour: '7',
        timeZone: 'Europe/Berlin',
        emptyDigest: 'caught-up',
      }),
    ).toEqual({ digestDay: 5, digestHour: 7, timeZone: 'Europe/Berlin', emptyDigest: 'caught-up' });
    expect(settingsSchema.parse({ digestDay: '7' }).digestDay).toBe(7);
    expect(settingsSchema.parse({ digestDay: 'sun' }).digestDay).toBe(7);
  });

  it.each([
    [{ digestDay: 'someday' }, /not a weekday/],
    [{ digestHour: '25' }, /whole hour, 0 to 23/],
    [{ digestHour: '7.5' }, /whole hour/],
    [{ timeZone: 'Mars/Olympus' }, /not an IANA time zone/],
    [{ emptyDigest: 'sometimes' }, /skip or caught-up/],
  ])('says what is wrong with %o', (input, message) => {
    const result = settingsSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message).join(' ')).toMatch(message);
  });
});
