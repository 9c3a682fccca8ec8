import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ParsedReply, parseReply, type ReplyCommand } from '../../src/commands/parse-reply.ts';
import { stripQuoted } from '../../src/commands/strip-quoted.ts';

// Monday 23 November 2026, 09:00 in Berlin (UTC+1): the hour a digest goes out.
const NOW = new Date('2026-11-23T08:00:00Z');
const CTX = { now: NOW, timeZone: 'Europe/Berlin', itemCount: 10 };
const DAY = 24 * 60 * 60 * 1000;

/** Start of a local day in Berlin, for days in CET (UTC+1); enough for these fixtures. */
function berlinDay(isoDate: string): Date {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) - 60 * 60 * 1000);
}

function only(reply: string, ctx = CTX): ReplyCommand {
  const parsed = parseReply(reply, ctx);
  expect(parsed.notUnderstood).toEqual([]);
  expect(parsed.commands).toHaveLength(1);
  return parsed.commands[0]!;
}

describe('parseReply: every form of the grammar', () => {
  const valid: [string, ReplyCommand][] = [
    ['snooze 2', { kind: 'snooze', items: [2], until: berlinDay('2026-12-07') }],
    ['snooze 2 3w', { kind: 'snooze', items: [2], until: berlinDay('2026-12-14') }],
    ['Snooze 2 3W', { kind: 'snooze', items: [2], until: berlinDay('2026-12-14') }],
    ['snooze 2 for 3 weeks', { kind: 'snooze', items: [2], until: berlinDay('2026-12-14') }],
    ['snooze 2 in 10 days.', { kind: 'snooze', items: [2], until: berlinDay('2026-12-03') }],
    ['snooze 2 for a week', { kind: 'snooze', items: [2], until: berlinDay('2026-11-30') }],
    ['snooze 2 two weeks', { kind: 'snooze', items: [2], until: berlinDay('2026-12-07') }],
    ['snooze 2,4 for 2 months', { kind: 'snooze', items: [2, 4], until: berlinDay('2027-01-23') }],
    // 23 May is in summer time (UTC+2).
    ['snooze 2, 4 6mo', { kind: 'snooze', items: [2, 4], until: new Date('2027-05-22T22:00:00Z') }],
    ['snooze 2 1y', { kind: 'snooze', items: [2], until: berlinDay('2027-11-23') }],
    ['snooze 1-3 until March 3', { kind: 'snooze', items: [1, 2, 3], until: berlinDay('2027-03-03') }],
    ['snooze 1–3 until 3 March', { kind: 'snooze', items: [1, 2, 3], until: berlinDay('2027-03-03') }],
    ['snooze 5 until 2027-03-03', { kind: 'snooze', items: [5], until: berlinDay('2027-03-03') }],
    ['snooze 5 until tomorrow', { kind: 'snooze', items: [5], until: berlinDay('2026-11-24') }],
    ['snooze 5 till Friday', { kind: 'snooze', items: [5], until: berlinDay('2026-11-27') }],
    // Said on a Monday, "until Monday" means the next one, not today.
    ['snooze 5 until monday', { kind: 'snooze', items: [5], until: berlinDay('2026-11-30') }],
    ['snooze all 1w', { kind: 'snooze', items: 'all', until: berlinDay('2026-11-30') }],
    // Bare numbers after the items are more items; a duration needs its unit.
    ['snooze 2 3', { kind: 'snooze', items: [2, 3], until: berlinDay('2026-12-07') }],
    ['done 4', { kind: 'done', items: [4] }],
    ['done 1, 3', { kind: 'done', items: [1, 3] }],
    ['done 1 and 3', { kind: 'done', items: [1, 3] }],
    ['done 2,', { kind: 'done', items: [2] }],
    ['done 3, 1, 3 & 2', { kind: 'done', items: [1, 2, 3] }],
    ['DONE ALL', { kind: 'done', items: 'all' }],
    ['mute 5', { kind: 'mute', items: [5] }],
    ['mute 2 3 4 5 6 7 8 9 10', { kind: 'mute', items: [2, 3, 4, 5, 6, 7, 8, 9, 10] }],
    ['unmute 5', { kind: 'unmute', items: [5] }],
    ['cadence 3 every 2 months', { kind: 'cadence', items: [3], days: 60 }],
    ['cadence 3 6w', { kind: 'cadence', items: [3], days: 42 }],
    ['cadence 3 every month', { kind: 'cadence', items: [3], days: 30 }],
    ['cadence 3 to every 10 days', { kind: 'cadence', items: [3], days: 10 }],
    ['cadence 3 monthly', { kind: 'cadence', items: [3], days: 30 }],
    ['cadence 1,2 every 10 years', { kind: 'cadence', items: [1, 2], days: 3650 }],
    ['cadence 3 1d', { kind: 'cadence', items: [3], days: 1 }],
    ['help', { kind: 'help' }],
    ['Help!', { kind: 'help' }],
  ];
  it.each(valid)('%s', (reply, expected) => {
    expect(only(reply)).toEqual(expected);
  });
});

describe('parseReply: what is not understood changes nothing', () => {
  const invalid = [
    'snooze',
    'snooze x',
    'snooze 0',
    'snooze 11',
    'done -1',
    'mute 2 3 4 5 6 7 8 9 10 11 12',
    'snooze 2 weeks', // item 2 for some weeks, or some item for 2 weeks? ambiguous
    'snooze 3-1',
    'snooze 1-999999999',
    'snooze 1-',
    'snooze 2 0w',
    'snooze 2 1.5 weeks',
    'snooze 2 3w please',
    'snooze 2 3 fortnights',
    'snooze 2 until',
    'snooze 2 until March 3 2026', // in the past
    'snooze 2 until today',
    'snooze 2 until 3/4', // March 4 or 3 April?
    'snooze 2 until March', // no day
    'snooze 2 until March 3 please',
    'snooze 2 until next blursday',
    'cadence 3',
    'cadence 3 every 11 years',
    'cadence 3 0d',
    'cadence all every',
    'done',
    'done 1, , 2',
    'mute all now',
    'unmute',
    'snoze 2',
    'please snooze 2',
    'snooze 99999999999999999999',
    'snooze ٢', // Arabic-Indic digit: not an ASCII digit after NFKC
  ];
  it.each(invalid)('%s', (reply) => {
    expect(parseReply(reply, CTX)).toEqual({ commands: [], notUnderstood: [reply] });
  });

  it('refuses the whole command when one item is out of range, and keeps the others', () => {
    const parsed = parseReply('done 2, 14\nmute 3', CTX);
    expect(parsed.commands).toEqual([{ kind: 'mute', items: [3] }]);
    expect(parsed.notUnderstood).toEqual(['done 2, 14']);
  });

  it('knows no items when the digest had none', () => {
    const ctx = { ...CTX, itemCount: 0 };
    expect(parseReply('done 1', ctx).commands).toEqual([]);
    expect(parseReply('done all', ctx).commands).toEqual([{ kind: 'done', items: 'all' }]);
  });
});

describe('parseReply: several commands and the words around them', () => {
  it('splits on lines, semicolons and commas, but not on a comma inside an item list', () => {
    const parsed = parseReply('snooze 1 3w, done 2\nsnooze 2,4 for 2 months; mute 5', CTX);
    expect(parsed.notUnderstood).toEqual([]);
    expect(parsed.commands.map((command) => command.kind)).toEqual(['snooze', 'done', 'snooze', 'mute']);
  });

  it('ignores greetings, sign-offs, phone footers and a name at the end', () => {
    const reply = 'Hi there,\n\nsnooze 2 for 3 weeks\ndone 4\n\nThanks!\nAnna\n\nSent from my iPhone';
    const parsed = parseReply(reply, CTX);
    expect(parsed.commands).toHaveLength(2);
    expect(parsed.notUnderstood).toEqual([]);
    for (const reply of [
      'mute 5\nCheers, Bob',
      'mute 5\nBest regards\n— Anna M.',
      'Hello Anna\nmute 5\nthx',
    ]) {
      expect(parseReply(reply, CTX)).toEqual({ commands: [{ kind: 'mute', items: [5] }], notUnderstood: [] });
    }
  });

  it('stops at a signature separator', () => {
    expect(parseReply('mute 5\n-- \nAnna Berg\nCEO, Example 2', CTX)).toEqual({
      commands: [{ kind: 'mute', items: [5] }],
      notUnderstood: [],
    });
  });

  it('reports prose whole, in its own casing, and a mistyped command even on the last line', () => {
    const parsed = parseReply('Sorry, Busy Week!\ndone 4\nSnoze all', CTX);
    expect(parsed.commands).toEqual([{ kind: 'done', items: [4] }]);
    expect(parsed.notUnderstood).toEqual(['Sorry, Busy Week!', 'Snoze all']);
    expect(parseReply('hey mute all', CTX).notUnderstood).toEqual(['hey mute all']);
  });

  it('ignores commands inside the quoted digest once stripQuoted is applied', () => {
    const body = [
      'snooze 1 3w',
      '',
      'On Mon, Nov 23, 2026 at 9:00 AM touchbase <digest@touchbase.example> wrote:',
      '> 1. Anna Berg: you last wrote 5 months ago',
      '> Reply "snooze 2", "done 4" or "mute 5".',
      'mute 3',
    ].join('\n');
    expect(parseReply(stripQuoted(body), CTX)).toEqual({
      commands: [{ kind: 'snooze', items: [1], until: berlinDay('2026-12-14') }],
      notUnderstood: [],
    });
  });
});

describe('parseReply: hostile input', () => {
  it('caps long snoozes at one year from today', () => {
    const yearOn = berlinDay('2027-11-23');
    for (const reply of [
      'snooze 2 100 years',
      'snooze 2 99999999999999999999y',
      'snooze 2 9999999 days',
      'snooze 2 13 months',
      'snooze 2 until Jan 1 2030',
    ]) {
      expect(only(reply)).toEqual({ kind: 'snooze', items: [2], until: yearOn });
    }
  });

  it('reads full-width digits and punctuation, and drops invisible direction marks', () => {
    expect(only('snooze ２')).toMatchObject({ items: [2] });
    expect(only('ｄｏｎｅ ２，４')).toEqual({ kind: 'done', items: [2, 4] });
    expect(only('\u200Fsnooze 2\u200E 3w\u200F')).toMatchObject({ items: [2] });
    expect(only('\uFEFFdone\u202E 4\u202C')).toEqual({ kind: 'done', items: [4] });
  });

  it('reports emoji and other symbols as not understood', () => {
    expect(parseReply('snooze 2 🙏', CTX)).toEqual({ commands: [], notUnderstood: ['snooze 2 🙏'] });
    expect(parseReply('👍\ndone 4 ✅', CTX)).toEqual({ commands: [], notUnderstood: ['👍', 'done 4 ✅'] });
  });

  it('reads a 1 MB line as prose and echoes only its start', () => {
    for (const line of ['snooze 1 '.repeat(120_000), 'a'.repeat(1_000_000), '9'.repeat(1_000_000)]) {
      const parsed: ParsedReply = parseReply(line, CTX);
      expect(parsed.commands).toEqual([]);
      expect(parsed.notUnderstood).toHaveLength(1);
      expect(parsed.notUnderstood[0]!.length).toBeLessThanOrEqual(201);
    }
  });

  it('reads only the first 50 lines of a 10,000-line reply and says so', () => {
    const parsed = parseReply('done 1\n'.repeat(10_000), CTX);
    expect(parsed.commands).toHaveLength(50);
    expect(parsed.notUnderstood).toEqual(['(9950 more lines not read)']);
    const semicolons = parseReply(Array.from({ length: 60 }, () => 'mute 2').join('; '), CTX);
    expect(semicolons.commands).toHaveLength(50);
    expect(semicolons.notUnderstood).toHaveLength(10);
  });
});

describe('parseReply: days in the user’s time zone', () => {
  it('ends a snooze at the start of a local day, across a DST change', () => {
    // Monday 22 March 2027, 08:00 CET; Berlin moves to CEST (UTC+2) on 28 March.
    const ctx = { ...CTX, now: new Date('2027-03-22T07:00:00Z') };
    expect(only('snooze 1 1w', ctx)).toMatchObject({ until: new Date('2027-03-28T22:00:00Z') });
  });

  it('counts from the local date, which may differ from the UTC one', () => {
    // 00:30 on Tuesday 24 November in Berlin, still Monday in UTC.
    const ctx = { ...CTX, now: new Date('2026-11-23T23:30:00Z') };
    expect(only('snooze 1 1d', ctx)).toMatchObject({ until: berlinDay('2026-11-25') });
    const newYork = { ...CTX, now: new Date('2026-11-23T13:00:00Z'), timeZone: 'America/New_York' };
    expect(only('snooze 1 1d', newYork)).toMatchObject({ until: new Date('2026-11-24T05:00:00Z') });
  });

  it('starts a day whose midnight DST skips at the moment the clocks jump', () => {
    // Chile springs forward at 24:00 on Saturday 5 September 2026: Sunday starts at 01:00 (UTC-3).
    const ctx = { ...CTX, now: new Date('2026-09-05T15:00:00Z'), timeZone: 'America/Santiago' };
    expect(only('snooze 1 1d', ctx)).toMatchObject({ until: new Date('2026-09-06T04:00:00Z') });
  });

  it('clamps calendar months to the end of a shorter month', () => {
    const ctx = { ...CTX, now: new Date('2027-01-31T08:00:00Z') };
    expect(only('snooze 1 1 month', ctx)).toMatchObject({ until: berlinDay('2027-02-28') });
  });
});

describe('parseReply: properties', () => {
  const zones = [
    'Europe/Berlin',
    'America/New_York',
    'Asia/Kolkata',
    'Pacific/Auckland',
    'UTC',
    'America/Santiago',
  ];
  const words = [
    'snooze',
    'done',
    'mute',
    'unmute',
    'cadence',
    'help',
    'all',
    'for',
    'until',
    'every',
    'and',
  ];
  const bits = [
    ...words,
    '1',
    '2',
    '10',
    '11',
    '0',
    '-',
    ',',
    ';',
    ' ',
    '\n',
    '3w',
    '2 months',
    'march 3',
    '１',
  ];
  const replies = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 200 }),
    fc.array(fc.constantFrom(...bits), { maxLength: 30 }).map((parts) => parts.join(' ')),
  );
  const contexts = fc.record({
    now: fc.date({
      min: new Date('2000-01-01T00:00:00Z'),
      max: new Date('2090-01-01T00:00:00Z'),
      noInvalidDate: true,
    }),
    timeZone: fc.constantFrom(...zones),
    itemCount: fc.integer({ min: 0, max: 10 }),
  });

  it('never throws, names only items in the digest, and snoozes into the coming year', () => {
    fc.assert(
      fc.property(replies, contexts, (reply, ctx) => {
        const parsed = parseReply(reply, ctx);
        for (const command of parsed.commands) {
          if (command.kind === 'help') continue;
          if (command.items !== 'all') {
            for (const item of command.items) {
              expect(Number.isInteger(item) && item >= 1 && item <= ctx.itemCount).toBe(true);
            }
          }
          if (command.kind === 'snooze') {
            expect(command.until.getTime()).toBeGreaterThan(ctx.now.getTime());
            expect(command.until.getTime()).toBeLessThanOrEqual(ctx.now.getTime() + 367 * DAY);
          }
          if (command.kind === 'cadence') expect(command.days >= 1 && command.days <= 3650).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
