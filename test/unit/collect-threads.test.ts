import { describe, expect, it } from 'vitest';
import { collectThreads, type StoredThreadMessage } from '../../src/contacts/collect-threads.ts';
import { findFollowUps } from '../../src/contacts/find-follow-ups.ts';

const now = new Date('2026-06-01T12:00:00Z');
const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
const msg = (
  threadId: string,
  days: number,
  direction: 'sent' | 'received',
  id: string | null,
): StoredThreadMessage => ({
  threadId,
  at: daysAgo(days),
  direction,
  fromAddress: direction === 'received' ? 'ann@example.com' : 'me@example.com',
  counterparties: ['ann@example.com'],
  subject: 'Dinner?',
  automatedReason: null,
  recipientCount: 1,
  addressedToUser: true,
  internetMessageId: id,
});

describe('collectThreads', () => {
  it('joins the copies of one message in two accounts into one conversation', () => {
    const rows = [
      msg('work-1', 5, 'received', '<q@x>'), // Ann asked, seen in the work account
      msg('home-9', 5, 'received', '<q@x>'), // ... and the same mail in the home account
      msg('home-9', 3, 'sent', '<a@x>'), // the user answered from home
    ];
    const threads = collectThreads(rows);
    expect(threads).toHaveLength(1);
    expect(threads[0]).toHaveLength(2);
    expect(threads[0]?.every((m) => m.threadId === 'home-9')).toBe(true);
    expect(findFollowUps(threads, () => true, now)).toEqual([]);
  });

  it('gives the same conversations whatever the order of rows', () => {
    const rows = [
      msg('b', 5, 'received', '<q@x>'),
      msg('a', 5, 'received', '<q@x>'),
      msg('c', 9, 'sent', null),
    ];
    const norm = (t: ReturnType<typeof collectThreads>) =>
      t.map((m) => m.map((x) => `${x.threadId}/${x.direction}/${x.at.getTime()}`).sort()).sort();
    expect(norm(collectThreads([...rows].reverse()))).toEqual(norm(collectThreads(rows)));
  });
});
