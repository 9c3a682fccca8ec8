import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  aggregateContact,
  type ContactAggregate,
  type ContactInteraction,
} from '../../src/contacts/aggregate-contact.ts';

const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.parse('2024-01-01T12:00:00Z');

function row(overrides: Partial<ContactInteraction> & { day: number }): ContactInteraction {
  const { day, ...rest } = overrides;
  return {
    at: new Date(T0 + day * DAY),
    direction: 'received',
    recipientCount: 1,
    automatedReason: null,
    subject: `subject ${day}`,
    threadId: `t${day}`,
    name: null,
    ...rest,
  };
}

const EMPTY: ContactAggregate = {
  isContact: false,
  name: null,
  firstContactAt: null,
  lastContactAt: null,
  lastSentAt: null,
  lastReceivedAt: null,
  sentCount: 0,
  receivedCount: 0,
  exchangeDays: 0,
  inferredCadenceDays: null,
  lastSubject: null,
  lastThreadId: null,
  lastDirection: null,
};

describe('aggregateContact', () => {
  it('no rows: nothing known', () => {
    expect(aggregateContact([])).toEqual(EMPTY);
  });

  it('a two-way exchange: counts, times, last message and cadence', () => {
    const rows = [
      row({ day: 0, direction: 'received', name: 'Alice' }),
      row({ day: 0.1, direction: 'sent' }), // same-day reply: same exchange day
      row({ day: 14, direction: 'sent' }),
      row({ day: 28, direction: 'received', name: 'Alice' }),
      row({ day: 42, direction: 'sent', subject: 'Re: plans', threadId: 'tx' }),
    ];
    expect(aggregateContact(rows)).toEqual<ContactAggregate>({
      isContact: true,
      name: 'Alice',
      firstContactAt: new Date(T0),
      lastContactAt: new Date(T0 + 42 * DAY),
      lastSentAt: new Date(T0 + 42 * DAY),
      lastReceivedAt: new Date(T0 + 28 * DAY),
      sentCount: 3,
      receivedCount: 2,
      exchangeDays: 4,
      inferredCadenceDays: 14,
      lastSubject: 'Re: plans',
      lastThreadId: 'tx',
      lastDirection: 'sent',
    });
  });

  it('only received mail never makes a contact', () => {
    const result = aggregateContact([row({ day: 0 }), row({ day: 1 }), row({ day: 2 })]);
    expect(result.isContact).toBe(false);
    expect(result.receivedCount).toBe(3);
    expect(result.lastContactAt).toEqual(new Date(T0 + 2 * DAY));
  });

  it('automated rows are ignored entirely', () => {
    const result = aggregateContact([
      row({ day: 0, direction: 'sent' }),
      row({ day: 5, direction: 'sent', automatedReason: 'auto-submitted', name: 'Robot' }),
      row({ day: 9, automatedReason: 'list-id', subject: 'digest' }),
    ]);
    expect(result.sentCount).toBe(1);
    expect(result.receivedCount).toBe(0);
    expect(result.lastContactAt).toEqual(new Date(T0));
    expect(result.lastSubject).toBe('subject 0');
    expect(result.name).toBeNull();
  });

  it('only automated rows: same as no rows', () => {
    expect(aggregateContact([row({ day: 1, direction: 'sent', automatedReason: 'bounce' })])).toEqual(EMPTY);
  });

  it('group messages refresh last contact but make no contact and no counts or cadence', () => {
    const group = [0, 10, 20, 30].map((day) => row({ day, direction: 'sent', recipientCount: 11 }));
    const result = aggregateContact([...group, row({ day: 35, recipientCount: 40, subject: 'all hands' })]);
    expect(result.isContact).toBe(false);
    expect(result.sentCount).toBe(0);
    expect(result.receivedCount).toBe(0);
    expect(result.exchangeDays).toBe(0);
    expect(result.inferredCadenceDays).toBeNull();
    expect(result.firstContactAt).toEqual(new Date(T0));
    expect(result.lastContactAt).toEqual(new Date(T0 + 35 * DAY));
    expect(result.lastSentAt).toEqual(new Date(T0 + 30 * DAY));
    expect(result.lastSubject).toBe('all hands');
  });

  it('recipientCount equal to the limit is still personal; the limit is configurable', () => {
    const rows = [row({ day: 0, direction: 'sent', recipientCount: 10 })];
    expect(aggregateContact(rows).isContact).toBe(true);
    expect(aggregateContact(rows, { groupSizeLimit: 9 }).isContact).toBe(false);
    expect(
      aggregateContact([row({ day: 0, direction: 'sent', recipientCount: 3 })], { groupSizeLimit: 2 })
        .isContact,
    ).toBe(false);
  });

  it('name: most frequent non-empty display name', () => {
    const rows = [
      row({ day: 0, name: 'Bob Smith' }),
      row({ day: 1, name: 'Bob Smith' }),
      row({ day: 2, name: 'bob' }),
      row({ day: 3, name: '  ' }),
      row({ day: 4, name: null }),
    ];
    expect(aggregateContact(rows).name).toBe('Bob Smith');
  });

  it('name: a tie goes to the most recently seen', () => {
    const rows = [
      row({ day: 0, name: 'Robert' }),
      row({ day: 1, name: 'Bob' }),
      row({ day: 2, name: 'Robert' }),
      row({ day: 3, name: 'Bob' }),
    ];
    expect(aggregateContact(rows).name).toBe('Bob');
  });

  it('cadence ignores bursts', () => {
    const rows = [0, 30, 60, 90].flatMap((day) => [
      row({ day, direction: 'sent' }),
      row({ day: day + 0.05 }),
      row({ day: day + 0.1, direction: 'sent' }),
    ]);
    const result = aggregateContact(rows);
    expect(result.inferredCadenceDays).toBe(30);
    expect(result.exchangeDays).toBe(4);
    expect(result.sentCount).toBe(8);
  });

  it('same-instant rows: the sent one is taken as the last message', () => {
    const result = aggregateContact([
      row({ day: 3, direction: 'sent', subject: 'mine' }),
      row({ day: 3, direction: 'received', subject: 'theirs' }),
    ]);
    expect(result.lastDirection).toBe('sent');
    expect(result.lastSubject).toBe('mine');
  });
});

const rowArbitrary: fc.Arbitrary<ContactInteraction> = fc.record({
  // A small range of whole hours so that equal times and same-day rows are common.
  at: fc.integer({ min: 0, max: 24 * 90 }).map((hours) => new Date(T0 + hours * 3_600_000)),
  direction: fc.constantFrom('sent' as const, 'received' as const),
  recipientCount: fc.integer({ min: 1, max: 14 }),
  automatedReason: fc.constantFrom(null, null, null, 'list-id'),
  subject: fc.constantFrom(null, 'a', 'b', 'Re: a'),
  threadId: fc.constantFrom(null, 't1', 't2'),
  name: fc.constantFrom(null, '', 'Ann', 'Anne', 'Ann B'),
});

describe('aggregateContact properties', () => {
  it('shuffling the rows never changes the result', () => {
    fc.assert(
      fc.property(
        fc
          .array(rowArbitrary, { maxLength: 40 })
          .chain((rows) =>
            fc.tuple(
              fc.constant(rows),
              fc.shuffledSubarray(rows, { minLength: rows.length, maxLength: rows.length }),
            ),
          ),
        fc.integer({ min: 1, max: 12 }),
        ([rows, shuffled], groupSizeLimit) => {
          expect(aggregateContact(shuffled, { groupSizeLimit })).toEqual(
            aggregateContact(rows, { groupSizeLimit }),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('counts add up and times are ordered', () => {
    fc.assert(
      fc.property(fc.array(rowArbitrary, { maxLength: 40 }), (rows) => {
        const result = aggregateContact(rows);
        const personal = rows.filter((r) => r.automatedReason === null && r.recipientCount <= 10);
        expect(result.sentCount + result.receivedCount).toBe(personal.length);
        expect(result.isContact).toBe(personal.some((r) => r.direction === 'sent'));
        expect(result.exchangeDays).toBeLessThanOrEqual(personal.length);
        if (result.firstContactAt && result.lastContactAt) {
          expect(result.firstContactAt.getTime()).toBeLessThanOrEqual(result.lastContactAt.getTime());
        }
        for (const last of [result.lastSentAt, result.lastReceivedAt]) {
          if (last && result.lastContactAt)
            expect(last.getTime()).toBeLessThanOrEqual(result.lastContactAt.getTime());
        }
      }),
      { numRuns: 300 },
    );
  });
});
