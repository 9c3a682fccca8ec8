import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stripQuoted } from '../../src/commands/strip-quoted.ts';

const DIGEST = ['> 1. Anna Berg: you last wrote 5 months ago', '> snooze 2 · done 2 · mute 2'].join('\n');

describe('stripQuoted', () => {
  const quoted: [string, string][] = [
    ['"> " quoting', `snooze 1 3w\n\n${DIGEST}`],
    [
      'Gmail',
      `snooze 1 3w\n\nOn Mon, Nov 23, 2026 at 9:00 AM touchbase <digest@tb.example> wrote:\n\n${DIGEST}`,
    ],
    [
      'Gmail, wrapped over two lines',
      `snooze 1 3w\n\nOn Mon, Nov 23, 2026 at 9:00 AM touchbase <\ndigest@tb.example> wrote:\n\n${DIGEST}`,
    ],
    [
      'Apple Mail',
      `snooze 1 3w\n\nOn 23 Nov 2026, at 09:00, touchbase <digest@tb.example> wrote:\n\n${DIGEST}`,
    ],
    [
      'Outlook, original message',
      'snooze 1 3w\n\n-----Original Message-----\nFrom: touchbase\nSent: Monday\n\n1. Anna\nsnooze 2',
    ],
    [
      'Outlook, header block under a rule',
      [
        'snooze 1 3w',
        '',
        '________________________________',
        'From: touchbase <digest@tb.example>',
        'Sent: Monday, November 23, 2026 9:00 AM',
        'To: Me <me@example.com>',
        'Subject: Your week',
        '',
        '1. Anna Berg',
      ].join('\n'),
    ],
    [
      'Outlook, bold headers',
      'snooze 1 3w\n*From:* touchbase <digest@tb.example>\n*Date:* Monday, 23 November 2026\n1. Anna',
    ],
    [
      'French Gmail',
      `snooze 1 3w\n\nLe lun. 23 nov. 2026 à 09:00, touchbase <digest@tb.example> a écrit :\n${DIGEST}`,
    ],
    [
      'German Gmail, wrapped',
      `snooze 1 3w\n\nAm Mo., 23. Nov. 2026 um 09:00 Uhr schrieb touchbase <\ndigest@tb.example>:\n${DIGEST}`,
    ],
    ['a signature separator', 'snooze 1 3w\n-- \nAnna Berg\nmute 3'],
    ['a trimmed signature separator', 'snooze 1 3w\n--\nAnna Berg'],
    ['CRLF line ends', 'snooze 1 3w\r\n\r\n> snooze 2\r\n'],
  ];
  it.each(quoted)('cuts at %s', (_name, body) => {
    expect(stripQuoted(body)).toBe('snooze 1 3w');
  });

  it('keeps the user’s own lines, including ones that merely say "wrote"', () => {
    const body = [
      'Hi,',
      'As I wrote: snooze 2',
      'On reflection, I wrote to her yesterday:',
      'done 4',
      'From: now on, mute 3',
      'Thanks',
    ].join('\n');
    expect(stripQuoted(body)).toBe(body);
  });

  it('trims surrounding blank lines and copes with empty input', () => {
    expect(stripQuoted('\n\n  done 4  \n\n')).toBe('done 4');
    expect(stripQuoted('')).toBe('');
    expect(stripQuoted(`${DIGEST}\n`)).toBe('');
  });

  it('copes with a 1 MB body', () => {
    const body = `done 4\n${'x'.repeat(1_000_000)}\nOn Mon, Nov 23, 2026 someone wrote:\n> snooze 2`;
    expect(stripQuoted(body).endsWith('x')).toBe(true);
    expect(stripQuoted(`On 1 ${'a '.repeat(500_000)}`)).toBe(`On 1 ${'a '.repeat(500_000)}`.trim());
  });

  it('returns leading lines of its input and is idempotent', () => {
    const lines = fc.array(
      fc.oneof(
        fc.string({ maxLength: 30 }),
        fc.constantFrom('> quoted', 'On 1 Jan 2026, X wrote:', '-- ', 'From: a', 'Sent: b', '____________'),
      ),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(lines, (parts) => {
        const body = parts.join('\n');
        const stripped = stripQuoted(body);
        expect(body.replace(/\r\n?/g, '\n').includes(stripped)).toBe(true);
        expect(stripQuoted(stripped)).toBe(stripped);
      }),
      { numRuns: 500 },
    );
  });
});
