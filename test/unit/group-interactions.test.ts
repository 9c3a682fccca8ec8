import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  groupInteractions,
  InteractionGrouper,
  type StoredInteraction,
} from '../../src/contacts/group-interactions.ts';
import { canonicalAddress } from '../../src/mail/canonical-address.ts';

const at = (day: number) => new Date(Date.UTC(2026, 0, day));
const row = (id: number, day: number, counterparties: string[], messageId: string | null = `<m${id}@x>`) =>
  ({
    id: BigInt(id),
    at: at(day),
    direction: 'received',
    recipientCount: 1,
    automatedReason: null,
    subject: `s${id}`,
    threadId: `t${id}`,
    internetMessageId: messageId,
    counterparties,
    counterpartyNames: counterparties.map((c) => c.split('@')[0] ?? ''),
    counterpartyKeys: counterparties.map(canonicalAddress),
  }) satisfies StoredInteraction;

// People as the canonical keys of their mailboxes: Ann has a work address and a Gmail.
const groups = new Map([
  ['ann', new Set(['ann@example.com', 'annb@gmail.com'])],
  ['bob', new Set(['bob@example.com'])],
]);

/** Copies of one message, a message naming two people, one without a Message-ID, a stranger. */
const MIXED = [
  row(1, 1, ['ann@example.com']),
  row(2, 1, ['ann.b@gmail.com'], '<m1@x>'),
  row(3, 2, ['bob@example.com', 'annb@gmail.com']),
  row(4, 3, ['bob@example.com'], null),
  row(5, 3, ['stranger@example.com']),
];

describe('groupInteractions', () => {
  it('gives each person the messages naming any of their addresses', () => {
    const result = groupInteractions(
      [row(1, 1, ['ann@example.com']), row(2, 2, ['annb@gmail.com']), row(3, 3, ['bob@example.com'])],
      groups,
    );
    expect(result.byPerson.get('ann')?.map((r) => r.subject)).toEqual(['s1', 's2']);
    expect(result.byPerson.get('bob')?.map((r) => r.subject)).toEqual(['s3']);
  });

  it('counts a message once per person, however many of their addresses it names', () => {
    const result = groupInteractions(
      [row(1, 1, ['ann@example.com', 'ann.b@gmail.com', 'bob@example.com'])],
      groups,
    );
    expect(result.byPerson.get('ann')).toHaveLength(1);
    expect(result.byPerson.get('bob')).toHaveLength(1);
  });

  it('counts one Message-ID once, whichever copy arrived first', () => {
    const copies = [row(1, 1, ['ann@example.com'], '<same@x>'), row(2, 1, ['ann@example.com'], '<same@x>')];
    const forward = groupInteractions(copies, groups).byPerson.get('ann');
    const backward = groupInteractions([...copies].reverse(), groups).byPerson.get('ann');
    expect(forward).toHaveLength(1);
    expect(backward).toEqual(forward);
  });

  it('finds every variant of a mailbox, as it appeared in mail', () => {
    const result = groupInteractions(
      [row(1, 1, ['Ann.B+x@googlemail.com'.toLowerCase()]), row(2, 2, ['annb@gmail.com'])],
      groups,
    );
    expect([...(result.addresses.get('ann') ?? [])].sort()).toEqual([
      'ann.b+x@googlemail.com',
      'annb@gmail.com',
    ]);
    expect(result.byPerson.get('ann')).toHaveLength(2);
  });

  it('keeps messages without a Message-ID apart', () => {
    const result = groupInteractions(
      [row(1, 1, ['bob@example.com'], null), row(2, 1, ['bob@example.com'], null)],
      groups,
    );
    expect(result.byPerson.get('bob')).toHaveLength(2);
  });

  it('does not depend on the order rows arrive in (property)', () => {
    const rows = MIXED;
    const sortKey = (list: { subject: string | null }[] | undefined) =>
      (list ?? []).map((r) => r.subject).sort();
    const expected = groupInteractions(rows, groups).byPerson;
    fc.assert(
      fc.property(fc.shuffledSubarray(rows, { minLength: rows.length }), (shuffled) => {
        const result = groupInteractions(shuffled, groups).byPerson;
        for (const key of groups.keys()) expect(sortKey(result.get(key))).toEqual(sortKey(expected.get(key)));
      }),
    );
  });

  it('a slice at a time (as a recompute reads a history) gives what every row at once gives (property)', () => {
    // And an earlier copy of row 3's message, naming Ann alone.
    const rows = [...MIXED, row(6, 0, ['annb@gmail.com'], '<m3@x>')];
    const whole = groupInteractions(rows, groups);
    fc.assert(
      fc.property(
        fc.shuffledSubarray(rows, { minLength: rows.length }),
        fc.array(fc.integer({ min: 0, max: rows.length }), { maxLength: 4 }),
        (shuffled, cuts) => {
          const grouper = new InteractionGrouper(groups);
          const bounds = [0, ...[...cuts].sort((a, b) => a - b), rows.length];
          for (let i = 1; i < bounds.length; i += 1) grouper.add(shuffled.slice(bounds[i - 1], bounds[i]));
          const sliced = grouper.result();
          expect(sliced.addresses).toEqual(whole.addresses);
          for (const key of groups.keys()) {
            const byTime = (list: { at: Date; subject: string | null }[] | undefined) =>
              [...(list ?? [])].sort(
                (a, b) => a.at.getTime() - b.at.getTime() || (a.subject ?? '').localeCompare(b.subject ?? ''),
              );
            // Every field, the copy chosen for a repeated Message-ID included.
            expect(byTime(sliced.byPerson.get(key))).toEqual(byTime(whole.byPerson.get(key)));
          }
        },
      ),
    );
    // Ann: m1 once (rows 1 and 2 at the same time: the smaller id), m3 once (row 6, the earlier).
    const ann = whole.byPerson.get('ann') ?? [];
    expect(ann.map((r) => r.subject).sort()).toEqual(['s1', 's6']);
  });
});
