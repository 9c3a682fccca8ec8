import { describe, expect, it } from 'vitest';
import { type FollowUp, findFollowUps, type ThreadMessage } from '../../src/contacts/find-follow-ups.ts';

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date('2024-06-01T12:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY);
const CONTACTS = new Set(['alice@example.com', 'bob@example.com', 'carol@example.com']);
const isContact = (address: string) => CONTACTS.has(address);

function received(
  threadId: string,
  days: number,
  from: string,
  overrides: Partial<ThreadMessage> = {},
): ThreadMessage {
  return {
    threadId,
    at: daysAgo(days),
    direction: 'received',
    fromAddress: from,
    counterparties: [from],
    subject: `about ${threadId}`,
    automatedReason: null,
    recipientCount: 1,
    addressedToUser: true,
    ...overrides,
  };
}

function sent(
  threadId: string,
  days: number,
  to: string[],
  overrides: Partial<ThreadMessage> = {},
): ThreadMessage {
  return {
    threadId,
    at: daysAgo(days),
    direction: 'sent',
    fromAddress: 'me@example.org',
    counterparties: to,
    subject: `about ${threadId}`,
    automatedReason: null,
    recipientCount: to.length,
    addressedToUser: true,
    ...overrides,
  };
}

const owe = (threadId: string, address: string, days: number): FollowUp => ({
  kind: 'owe-reply',
  address,
  threadId,
  subject: `about ${threadId}`,
  since: daysAgo(days),
});
const wait = (threadId: string, address: string, days: number): FollowUp => ({
  kind: 'awaiting-reply',
  address,
  threadId,
  subject: `about ${threadId}`,
  since: daysAgo(days),
});

const cases: { title: string; thread: ThreadMessage[]; expected: FollowUp[] }[] = [
  { title: 'empty thread', thread: [], expected: [] },
  {
    title: 'a contact wrote 3 days ago: owe a reply',
    thread: [received('t', 3, 'alice@example.com')],
    expected: [owe('t', 'alice@example.com', 3)],
  },
  {
    title: 'a contact wrote yesterday: not yet',
    thread: [received('t', 1, 'alice@example.com')],
    expected: [],
  },
  {
    title: 'a stranger wrote: nothing owed',
    thread: [received('t', 3, 'stranger@example.com')],
    expected: [],
  },
  {
    title: 'they wrote to a large group: nothing owed',
    thread: [received('t', 3, 'alice@example.com', { recipientCount: 11 })],
    expected: [],
  },
  {
    title: 'the user already replied',
    thread: [received('t', 5, 'alice@example.com'), sent('t', 4, ['alice@example.com'])],
    expected: [],
  },
  {
    title: 'the user wrote 8 days ago and nobody answered: awaiting a reply',
    thread: [sent('t', 8, ['bob@example.com'])],
    expected: [wait('t', 'bob@example.com', 8)],
  },
  {
    title: "the user's reply closed a conversation: nobody owes anything",
    thread: [received('t', 9, 'bob@example.com'), sent('t', 6, ['bob@example.com'])],
    expected: [],
  },
  {
    title: 'the user was only Cc: informed, not asked',
    thread: [received('t', 5, 'alice@example.com', { addressedToUser: false })],
    expected: [],
  },
  { title: 'the user wrote 6 days ago: not yet', thread: [sent('t', 6, ['bob@example.com'])], expected: [] },
  {
    title: 'they answered: settled, and now the user owes',
    thread: [sent('t', 10, ['bob@example.com']), received('t', 3, 'bob@example.com')],
    expected: [owe('t', 'bob@example.com', 3)],
  },
  {
    title: 'awaiting: the first counterparty that is a contact',
    thread: [sent('t', 8, ['stranger@example.com', 'carol@example.com', 'alice@example.com'])],
    expected: [wait('t', 'carol@example.com', 8)],
  },
  {
    title: 'awaiting: no contact among the recipients',
    thread: [sent('t', 7, ['stranger@example.com'])],
    expected: [],
  },
  {
    title: 'awaiting: a large group is not waited on',
    thread: [sent('t', 7, ['alice@example.com'], { recipientCount: 12 })],
    expected: [],
  },
  {
    title: 'an auto-reply after the user’s mail does not settle it',
    thread: [
      sent('t', 8, ['alice@example.com']),
      received('t', 8, 'alice@example.com', { automatedReason: 'auto-reply' }),
    ],
    expected: [wait('t', 'alice@example.com', 8)],
  },
  {
    title: 'an automated last message is skipped to the person before it',
    thread: [
      received('t', 4, 'alice@example.com'),
      received('t', 3, 'alice@example.com', { automatedReason: 'list-id' }),
    ],
    expected: [owe('t', 'alice@example.com', 4)],
  },
  {
    title: 'only automated messages',
    thread: [received('t', 4, 'alice@example.com', { automatedReason: 'no-reply' })],
    expected: [],
  },
  { title: 'too old: the thread is over', thread: [received('t', 31, 'alice@example.com')], expected: [] },
  {
    title: 'messages out of order are ordered by time',
    thread: [received('t', 3, 'alice@example.com'), sent('t', 9, ['alice@example.com'])],
    expected: [owe('t', 'alice@example.com', 3)],
  },
  {
    title: 'same instant: the sent message is the answer',
    thread: [sent('t', 3, ['alice@example.com']), received('t', 3, 'alice@example.com')],
    expected: [],
  },
];

describe('findFollowUps', () => {
  it.each(cases)('$title', ({ thread, expected }) => {
    expect(findFollowUps([thread], isContact, NOW)).toEqual(expected);
  });

  it('one item per thread, sorted oldest first', () => {
    const threads = [
      [received('a', 3, 'alice@example.com')],
      [sent('b', 20, ['bob@example.com'])],
      [received('c', 10, 'carol@example.com')],
    ];
    expect(findFollowUps(threads, isContact, NOW)).toEqual([
      wait('b', 'bob@example.com', 20),
      owe('c', 'carol@example.com', 10),
      owe('a', 'alice@example.com', 3),
    ]);
  });

  it('honours the options', () => {
    const threads = [[received('a', 3, 'alice@example.com')], [sent('b', 4, ['bob@example.com'])]];
    const result = findFollowUps(threads, isContact, NOW, { oweAfterDays: 5, awaitAfterDays: 3 });
    expect(result).toEqual([wait('b', 'bob@example.com', 4)]);
    expect(findFollowUps(threads, isContact, NOW, { maxAgeDays: 3.5 })).toEqual([
      owe('a', 'alice@example.com', 3),
    ]);
    const group = [[received('g', 3, 'alice@example.com', { recipientCount: 4 })]];
    expect(findFollowUps(group, isContact, NOW, { groupSizeLimit: 3 })).toEqual([]);
  });
});
