import { describe, expect, it } from 'vitest';
import { formatCadence, formatDate, formatRelative } from '../../src/digest/format-relative.ts';
import { renderDigest } from '../../src/digest/render-digest.ts';
import type { DigestContent, DigestItem } from '../../src/digest/types.ts';

const NOW = new Date('2025-06-09T06:30:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000);
const OPTS = { publicUrl: 'https://touchbase.example/' };
const EVIL = '<script>alert(1)</script> & "Bob"';

function item(n: number, kind: DigestItem['kind'], overrides: Partial<DigestItem> = {}): DigestItem {
  return {
    n,
    kind,
    contact: { id: `c${n}`, name: `Person ${n}`, emails: [`p${n}@example.com`] },
    lastContactAt: daysAgo(30),
    cadenceDays: null,
    lastDirection: null,
    subject: null,
    threadId: null,
    since: null,
    ...overrides,
  };
}

function digest(overrides: Partial<DigestContent> = {}): DigestContent {
  return {
    user: { email: 'sam+me@example.com', name: 'Sam Rivera', timeZone: 'Europe/Berlin' },
    period: '2025-W24',
    generatedAt: NOW,
    notices: [],
    reading: [],
    items: [
      item(1, 'lapsed', {
        contact: { id: 'maya', name: 'Maya Chen', emails: ['maya@example.com'] },
        lastContactAt: daysAgo(122),
        cadenceDays: 21,
        lastDirection: 'sent',
        subject: 'Lisbon photos',
      }),
      item(2, 'lapsed', {
        contact: { id: 'maya2', name: 'Maya Lind', emails: ['lind@example.com'] },
        lastContactAt: daysAgo(50),
        cadenceDays: 7,
        lastDirection: 'received',
      }),
      item(3, 'owe-reply', {
        contact: { id: 'jonas', name: 'Jonas Weber', emails: ['jonas@example.com'] },
        since: daysAgo(5),
        subject: 'Dinner on Friday?',
      }),
      item(4, 'awaiting-reply', {
        contact: { id: 'priya', name: 'Priya', emails: ['priya@example.com'] },
        since: daysAgo(9),
        subject: 'Contract draft',
      }),
    ],
    ...overrides,
  };
}

const itemLines = (text: string) => text.split('\n').filter((line) => /^\d+\. /.test(line));

describe('renderDigest text', () => {
  it('numbers every item 1..n with the phrasing of its kind', () => {
    const { text } = renderDigest(digest(), OPTS);
    expect(itemLines(text)).toEqual([
      '1. Maya Chen — you last wrote 4 months ago, usually every 3 weeks. Last: "Lisbon photos"',
      '2. Maya Lind — Maya last wrote 7 weeks ago, usually every week.',
      '3. Jonas Weber wrote 5 days ago and is waiting for your reply: "Dinner on Friday?"',
      '4. You wrote to Priya 9 days ago and haven\'t heard back: "Contract draft"',
    ]);
  });

  it('orders items by their number whatever order they arrive in', () => {
    const content = digest();
    content.items.reverse();
    expect(itemLines(renderDigest(content, OPTS).text).map((line) => line.split('.')[0])).toEqual([
      '1',
      '2',
      '3',
      '4',
    ]);
  });

  it('puts account notices before the first item', () => {
    const notices = [
      {
        email: 'sam@work.example',
        provider: 'outlook' as const,
        problem: 'Access was revoked',
        fix: 'Reconnect it',
      },
    ];
    const { text } = renderDigest(digest({ notices }), OPTS);
    const notice = text.indexOf('Outlook account sam@work.example: Access was revoked. To fix: Reconnect it');
    expect(notice).toBeGreaterThan(-1);
    expect(notice).toBeLessThan(text.indexOf('1. Maya Chen'));
  });

  it('ends with how to reply and where the settings are', () => {
    const { text } = renderDigest(digest(), OPTS);
    expect(text).toContain('Reply to this email with: done 1, snooze 2 for 2 weeks, mute 3, help');
    expect(text).toContain('https://touchbase.example/settings');
  });

  it('copes with missing names, dates and subjects, and flattens header line breaks', () => {
    const content = digest({
      items: [
        item(1, 'owe-reply', {
          contact: { id: 'x', name: null, emails: ['x@example.com'] },
          lastContactAt: null,
        }),
        item(2, 'lapsed', { lastContactAt: null, contact: { id: 'y', name: null, emails: [] } }),
        item(3, 'awaiting-reply', { since: daysAgo(1), subject: 'Line one\r\nBcc: evil@example.com' }),
      ],
    });
    expect(itemLines(renderDigest(content, OPTS).text)).toEqual([
      '1. x@example.com is waiting for your reply.',
      '2. Someone — no contact on record.',
      '3. You wrote to Person 3 yesterday and haven\'t heard back: "Line one Bcc: evil@example.com"',
    ]);
  });
});

describe('renderDigest subject', () => {
  it.each([
    [
      [item(1, 'lapsed'), item(2, 'lapsed'), item(3, 'lapsed'), item(4, 'owe-reply')],
      '3 people to catch up with, 1 reply you owe',
    ],
    [[item(1, 'lapsed')], '1 person to catch up with'],
    [
      [item(1, 'owe-reply'), item(2, 'owe-reply'), item(3, 'awaiting-reply')],
      '2 replies you owe, 1 awaiting reply',
    ],
    [[], 'All caught up this week'],
  ])('summarises the items (%#)', (items, subject) => {
    expect(renderDigest(digest({ items }), OPTS).subject).toBe(subject);
  });

  it('flags account problems', () => {
    const notices = [
      { email: 'a@b.example', provider: 'gmail' as const, problem: 'Revoked', fix: 'Reconnect' },
    ];
    expect(renderDigest(digest({ notices, items: [] }), OPTS).subject).toBe(
      'Action needed: 1 account needs attention',
    );
    expect(renderDigest(digest({ notices, items: [item(1, 'owe-reply')] }), OPTS).subject).toBe(
      'Action needed · 1 reply you owe',
    );
  });
});

describe('renderDigest html', () => {
  const evilContent = () =>
    digest({
      user: { email: 'sam@example.com', name: EVIL, timeZone: 'Europe/Berlin' },
      items: [
        item(1, 'awaiting-reply', {
          contact: { id: 'e', name: EVIL, emails: ['bob@example.com'] },
          since: daysAgo(9),
          subject: '<img src=x onerror=alert(2)> & more',
        }),
      ],
      notices: [
        { email: 'sam@example.com', provider: 'gmail', problem: '<b>bad</b>', fix: 'Go to "settings"' },
      ],
    });

  it('escapes every user string', () => {
    const { html } = renderDigest(evilContent(), OPTS);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>bad');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Bob&quot;');
    expect(html).toContain('&lt;img src=x onerror=alert(2)&gt; &amp; more');
    expect(html).toContain('Go to &quot;settings&quot;');
  });

  it('has no script anywhere, for any content', () => {
    for (const content of [digest(), evilContent(), digest({ items: [] })]) {
      expect(renderDigest(content, OPTS).html.toLowerCase()).not.toContain('<script');
    }
  });

  it('gives each item one-click commands addressed to the user, and a compose link', () => {
    const { html } = renderDigest(digest(), OPTS);
    const me = 'mailto:sam%2Bme@example.com';
    for (const command of ['done 3', 'snooze 3 for 2 weeks', 'mute 3', 'done 1', 'mute 4']) {
      expect(html).toContain(`href="${me}?subject=${encodeURIComponent(command)}"`);
    }
    expect(html).toContain('href="mailto:jonas@example.com"');
    expect(html).toContain('Write to Jonas');
    const hrefs = [...html.matchAll(/href="mailto:([^"?]+)\?subject=/g)].map((m) => m[1]);
    expect(new Set(hrefs)).toEqual(new Set(['sam%2Bme@example.com']));
  });

  it('appends a command tag when given', () => {
    const { html } = renderDigest(digest(), { ...OPTS, commandTag: '[tb:abc]' });
    expect(html).toContain(`?subject=${encodeURIComponent('done 1 [tb:abc]')}"`);
  });

  it('is built for email clients: tables, inline styles, dark-mode hint, preheader, 600px', () => {
    const { html } = renderDigest(digest(), OPTS);
    expect(html).toContain('<meta name="color-scheme" content="light dark">');
    expect(html).toContain('max-width:600px');
    expect(html).toMatch(/<table\b[^>]*role="presentation"/);
    expect(html).toMatch(/<div style="display:none;[^"]*">Maya Chen, Maya Lind, Jonas Weber and 1 more/);
    expect(html).not.toMatch(/<link|<img|<script|@import|url\(/i);
    // MJML's <style> blocks (client resets, dark-mode palette) stay in <head>; the body is
    // styled inline, so clients that drop <style> still show the light layout.
    const [head = '', body = ''] = html.split(/<body\b/);
    expect(head).toContain('@media (prefers-color-scheme: dark)');
    expect(body).not.toMatch(/<style/i);
    expect(body).toMatch(
      /<div\s+style="font-family:[^"]*color:#18181b;"\s*><strong>1\.<\/strong> <strong>Maya Chen</,
    );
    expect(html).not.toMatch(/\{\{\w+\}\}/);
    expect(html).toContain('Last contact 7 Feb 2025');
    expect(html).toContain('href="https://touchbase.example/settings"');
  });

  it('stays under the size at which Gmail clips a message, at the item cap', () => {
    const items = Array.from({ length: 10 }, (_, i) =>
      item(i + 1, 'awaiting-reply', { subject: 'x'.repeat(200), since: daysAgo(i) }),
    );
    const notices = [
      { email: 'a@b.example', provider: 'gmail' as const, problem: 'Revoked', fix: 'Reconnect' },
    ];
    const { html } = renderDigest(digest({ items, notices }), {
      ...OPTS,
      commandTag: '[tb:abcdefghijklmnop]',
    });
    expect(Buffer.byteLength(html)).toBeLessThan(80_000);
  });

  it('shows dates on the calendar of the user time zone', () => {
    const late = new Date('2025-06-01T23:30:00Z');
    const content = digest({ items: [item(1, 'owe-reply', { since: late })] });
    expect(renderDigest(content, OPTS).html).toContain('Received 2 Jun 2025');
    const inLA = digest({ ...content, user: { ...content.user, timeZone: 'America/Los_Angeles' } });
    expect(renderDigest(inLA, OPTS).html).toContain('Received 1 Jun 2025');
  });
});

describe('renderDigest with nothing due', () => {
  it('says so in all three parts', () => {
    const rendered = renderDigest(digest({ items: [] }), OPTS);
    expect(rendered.subject).toBe('All caught up this week');
    expect(itemLines(rendered.text)).toEqual([]);
    expect(rendered.text).toContain('Nothing needs you this week');
    expect(rendered.html).toContain('Nothing needs you this week');
    expect(rendered.html).not.toContain('mailto:');
    expect(rendered.text).toContain('https://touchbase.example/settings');
  });
});

describe('renderDigest while a mailbox is still being read for the first time', () => {
  const reading: DigestContent['reading'] = [
    { email: 'sam@example.com', provider: 'gmail', listed: 41_200, percent: 37, secondsLeft: 12_000 },
    { email: 'sam@work.example', provider: 'outlook', listed: 12_345, percent: null, secondsLeft: null },
    { email: 'new@example.com', provider: 'gmail', listed: 0, percent: null, secondsLeft: null },
  ];
  const partial = 'Until it is done, people you have not been in touch with lately may be missing here.';

  it('says how far each one is, after the notices and before the items, in text and HTML', () => {
    const notices = [
      { email: 'a@b.example', provider: 'gmail' as const, problem: 'Revoked', fix: 'Reconnect' },
    ];
    const { text, html } = renderDigest(digest({ reading, notices }), OPTS);
    const sentences = [
      `touchbase is still reading the past mail of sam@example.com (37% so far, about 3 h 20 min left). ${partial}`,
      `touchbase is still reading the past mail of sam@work.example (12,345 messages so far). ${partial}`,
      `touchbase has not started reading new@example.com yet. ${partial}`,
    ];
    const lines = text.split('\n');
    const at = sentences.map((sentence) => lines.indexOf(sentence));
    expect(at.every((i) => i > lines.findIndex((l) => l.startsWith('- Gmail account a@b.example')))).toBe(
      true,
    );
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(Math.max(...at)).toBeLessThan(lines.findIndex((l) => l.startsWith('1. ')));
    for (const sentence of sentences) expect(html).toContain(sentence);
    expect(html.indexOf(sentences[0] ?? '')).toBeGreaterThan(html.indexOf('Revoked'));
    expect(html.indexOf(sentences[2] ?? '')).toBeLessThan(html.indexOf('Maya Chen</strong>'));
    // The items are what they are: the subject counts them as always.
    expect(renderDigest(digest({ reading }), OPTS).subject).toBe(renderDigest(digest(), OPTS).subject);
  });

  it('does not call an empty digest all caught up', () => {
    const rendered = renderDigest(digest({ reading: reading.slice(0, 1), items: [] }), OPTS);
    expect(rendered.subject).toBe('Still reading your mailbox: nothing due so far');
    expect(rendered.text).toContain('Nothing needs you in the mail read so far.');
    expect(rendered.text).not.toContain('Nothing needs you this week');
    expect(rendered.html).toContain('Nothing due in the mail read so far.');
  });

  it('escapes the address', () => {
    const { html } = renderDigest(
      digest({
        reading: [
          { email: '<b>x</b>@example.com', provider: 'gmail', listed: 1, percent: 1, secondsLeft: null },
        ],
      }),
      OPTS,
    );
    expect(html).not.toContain('<b>x</b>');
    expect(html).toContain('&lt;b&gt;x&lt;/b&gt;@example.com');
  });
});

describe('format-relative', () => {
  it.each([
    [0, 'today'],
    [1, 'yesterday'],
    [13, '13 days ago'],
    [20, '3 weeks ago'],
    [122, '4 months ago'],
    [800, '2 years ago'],
    [-3, 'today'],
  ])('%i days -> %s', (days, phrase) => {
    expect(formatRelative(daysAgo(days), NOW)).toBe(phrase);
  });

  it.each([
    [1, 'every day'],
    [4, 'every 4 days'],
    [7, 'every week'],
    [21, 'every 3 weeks'],
    [90, 'every 3 months'],
    [365, 'every year'],
  ])('cadence %i -> %s', (days, phrase) => {
    expect(formatCadence(days)).toBe(phrase);
  });

  it('falls back to UTC for an unknown time zone', () => {
    expect(formatDate(new Date('2025-06-01T23:30:00Z'), 'Mars/Olympus')).toBe('1 Jun 2025');
  });
});
