import { describe, expect, it } from 'vitest';
import { type InteractionFacts, toInteractionFacts } from '../../src/mail/to-interaction.ts';
import { makeMeta, metaFromEml } from './message-meta.ts';

// Two connected accounts and an alias, stored in mixed case on purpose.
const own = new Set(['me@example.org', 'Me.Work@Corp.example', 'alias@example.org']);

describe('toInteractionFacts', () => {
  it('received from a person: the sender is the one counterparty', () => {
    const facts = toInteractionFacts(
      makeMeta({ from: 'Alice Example <ALICE@example.com>', to: 'me@example.org, Bob <bob@example.com>' }),
      own,
    );
    expect(facts).toEqual<InteractionFacts>({
      direction: 'received',
      fromAddress: 'alice@example.com',
      fromName: 'Alice Example',
      counterparties: ['alice@example.com'],
      counterpartyNames: ['Alice Example'],
      recipientCount: 2,
      addressedToUser: true,
      toKeys: [],
      automatedReason: null,
    });
  });

  it('sent: recipients To, Cc, Bcc in order, minus every own address and alias', () => {
    const facts = toInteractionFacts(
      makeMeta({
        direction: 'sent',
        from: 'Me <me@example.org>',
        to: '"Moore, Keith" <keith@example.com>, ME.WORK@corp.example',
        cc: 'alias@example.org, carol@example.com',
        bcc: 'dave@example.com, keith@example.com',
      }),
      own,
    );
    expect(facts.direction).toBe('sent');
    expect(facts.fromAddress).toBe('me@example.org');
    expect(facts.counterparties).toEqual(['keith@example.com', 'carol@example.com', 'dave@example.com']);
    expect(facts.counterpartyNames).toEqual(['Moore, Keith', '', '']);
    // Distinct To+Cc+Bcc, own addresses included: keith (twice), me.work, alias, carol, dave.
    expect(facts.recipientCount).toBe(5);
    expect(facts.automatedReason).toBeNull();
  });

  it('a message From an own alias is sent even when the provider filed it as received', () => {
    const facts = toInteractionFacts(
      makeMeta({ direction: 'received', from: 'Me <Alias@Example.org>', to: 'Bob <bob@example.com>' }),
      own,
    );
    expect(facts.direction).toBe('sent');
    expect(facts.counterparties).toEqual(['bob@example.com']);
    expect(facts.counterpartyNames).toEqual(['Bob']);
  });

  it('own-From mail is judged as sent: list headers do not make it automated', () => {
    const facts = toInteractionFacts(
      makeMeta({ from: 'me@example.org', to: 'list@lists.example', listId: '<list.lists.example>' }),
      own,
    );
    expect(facts.direction).toBe('sent');
    expect(facts.automatedReason).toBeNull();
  });

  it('received with the user only in Cc: keeps the canonical keys of its To, to be judged again', () => {
    const facts = toInteractionFacts(
      makeMeta({
        from: 'Bob <bob@example.com>',
        to: 'Sam.Taylor+trips@googlemail.com, Mei <mei@alias.example>, samtaylor@gmail.com',
        cc: 'me@example.org',
      }),
      own,
    );
    expect(facts.addressedToUser).toBe(false);
    // The two spellings of Sam's one Gmail mailbox are one key.
    expect(facts.toKeys).toEqual(['samtaylor@gmail.com', 'mei@alias.example']);
    // The user in To, or sent mail: nothing to judge again.
    expect(
      toInteractionFacts(makeMeta({ from: 'bob@example.com', to: 'ME@example.org' }), own).toKeys,
    ).toEqual([]);
    const sent = makeMeta({ direction: 'sent', from: 'me@example.org', to: 'bob@example.com' });
    expect(toInteractionFacts(sent, own).toKeys).toEqual([]);
  });

  it('a note to self has no counterparties', () => {
    const facts = toInteractionFacts(
      makeMeta({ direction: 'sent', from: 'me@example.org', to: 'me.work@corp.example' }),
      own,
    );
    expect(facts.counterparties).toEqual([]);
    expect(facts.counterpartyNames).toEqual([]);
    expect(facts.recipientCount).toBe(1);
  });

  it('received without a usable From: no counterparty, no sender', () => {
    for (const from of [null, '', 'Whomever', b64Address()]) {
      const facts = toInteractionFacts(makeMeta({ from }), own);
      expect(facts.direction).toBe('received');
      expect(facts.fromAddress).toBeNull();
      expect(facts.fromName).toBeNull();
      expect(facts.counterparties).toEqual([]);
    }
  });

  it('a sender without a display name has a null fromName and an empty counterparty name', () => {
    const facts = toInteractionFacts(makeMeta({ from: 'bob@example.com' }), own);
    expect(facts.fromName).toBeNull();
    expect(facts.counterpartyNames).toEqual(['']);
  });

  it('received automated mail keeps its counterparty and says why', () => {
    const facts = toInteractionFacts(makeMeta({ from: 'GitHub <notifications@github.com>' }), own);
    expect(facts.counterparties).toEqual(['notifications@github.com']);
    expect(facts.automatedReason).toBe('no-reply');
  });

  it('sent mail to a group counts everyone', () => {
    const to = Array.from({ length: 25 }, (_, i) => `p${i}@example.com`).join(', ');
    const facts = toInteractionFacts(makeMeta({ direction: 'sent', from: 'me@example.org', to }), own);
    expect(facts.recipientCount).toBe(25);
    expect(facts.counterparties).toHaveLength(25);
  });

  it('a real list post from the corpora: received from the poster, flagged list-id', async () => {
    const facts = toInteractionFacts(await metaFromEml('thirdparty/014.eml'), own);
    expect(facts.direction).toBe('received');
    expect(facts.counterparties).toEqual(['calpas2007@yahoo.fr']);
    expect(facts.counterpartyNames).toEqual(['calpas calpas']);
    expect(facts.recipientCount).toBe(1);
    expect(facts.automatedReason).toBe('list-id');
  });

  it('a real person-to-person message from the corpora, seen from the recipient', async () => {
    const meta = await metaFromEml('thirdparty/015.eml');
    const facts = toInteractionFacts(meta, new Set(['jonas.sterr@gmx.net']));
    expect(facts).toEqual<InteractionFacts>({
      direction: 'received',
      fromAddress: 'jsterr@proxforge.de',
      fromName: 'Jonas Sterr - ProxForge',
      counterparties: ['jsterr@proxforge.de'],
      counterpartyNames: ['Jonas Sterr - ProxForge'],
      recipientCount: 1,
      addressedToUser: true,
      toKeys: [],
      automatedReason: null,
    });
  });
});

/** An encoded word that decodes to an address: must not become the sender. */
function b64Address(): string {
  return `=?utf-8?B?${Buffer.from('Evil <evil@attacker.example>').toString('base64')}?=`;
}
