import { describe, expect, it } from 'vitest';
import { collectThreads } from '../../src/contacts/collect-threads.ts';
import { findFollowUps } from '../../src/contacts/find-follow-ups.ts';
import { loadDigestFacts } from '../../src/digest/load-digest-facts.ts';
import { DAY_MS } from '../../src/lib/clock.ts';
import type { AppContext } from '../../src/lib/context.ts';
import type { FakeGmailMessage } from '../fakes/gmail/fake-gmail.ts';
import { MailFactory, type Person, seededRandom } from '../fakes/gmail/mail-builder.ts';
import { connectFake, startTestEnv, syncOnce } from '../support/test-env.ts';

// Decision 0003: a row's facts are judged against the own addresses known when it is stored. Mail
// to an address of the user's that touchbase learns only later is judged again when it does.
const ME: Person = { name: 'Robin Okafor', email: 'robin.okafor@example.com' };
const ALIAS: Person = { name: 'Robin Okafor', email: 'Robin@Okafor.example.net' };
const TRAVEL: Person = { name: 'Robin Okafor', email: 'robin.travel@okafor.example.net' };
const MEI: Person = { name: 'Mei Chen', email: 'mei.chen@example.net' };
const BEN: Person = { name: 'Ben Carter', email: 'ben.carter@example.org' };
// One mailbox for every test: the ids and times are the same wherever it is synced.
const NOW = Date.now();

/**
 * Oldest first: the user writes to Mei from the alias and she answers; then, newer than anything
 * sent from the alias, Mei writes to it again (unanswered), Ben writes to Mei with the alias in Cc,
 * Mei writes to the travel address, which no mail was ever sent from, and the user writes to Mei
 * from the primary address with the alias in Cc.
 */
function mailbox(): { messages: FakeGmailMessage[]; ids: Record<string, string> } {
  const now = NOW;
  const mail = new MailFactory(ME, [ME.email, ALIAS.email.toLowerCase()], seededRandom(7));
  const dinner = mail.start({
    at: now - 12 * DAY_MS,
    from: ALIAS,
    to: [MEI],
    subject: 'Dinner on Friday?',
    labelIds: ['SENT'],
    body: 'Are you free?',
  });
  const answer = mail.reply(dinner, {
    at: now - 11 * DAY_MS,
    from: MEI,
    to: [ALIAS],
    labelIds: ['INBOX'],
    body: 'Yes!',
  });
  const [photos] = mail.start({
    at: now - 6 * DAY_MS,
    from: MEI,
    to: [ALIAS],
    subject: 'Photos from Friday',
    labelIds: ['INBOX'],
    body: 'Which ones should I print?',
  });
  const [cc] = mail.start({
    at: now - 5 * DAY_MS,
    from: BEN,
    to: [MEI],
    cc: [ALIAS],
    subject: 'Hiking',
    labelIds: ['INBOX'],
    body: 'Mei, are you coming?',
  });
  const [trip] = mail.start({
    at: now - 4 * DAY_MS,
    from: MEI,
    to: [TRAVEL],
    subject: 'Lisbon tickets',
    labelIds: ['INBOX'],
    body: 'Booked!',
  });
  const [train] = mail.start({
    at: now - 3 * DAY_MS,
    from: ME,
    to: [MEI],
    cc: [ALIAS],
    subject: 'Train times',
    labelIds: ['SENT'],
    body: 'The 9:40 it is.',
  });
  const messages = [...dinner, photos, cc, trip, train] as FakeGmailMessage[];
  return {
    messages,
    ids: {
      answer: answer.id,
      photos: photos?.id ?? '',
      cc: cc?.id ?? '',
      trip: trip?.id ?? '',
      train: train?.id ?? '',
    },
  };
}

async function rows(ctx: AppContext) {
  const stored = await ctx.prisma.interaction.findMany({
    select: { providerMessageId: true, addressedToUser: true, toKeys: true, counterparties: true },
  });
  return new Map(stored.map((row) => [row.providerMessageId, row]));
}

/** The subjects of the threads in which the user owes a reply, as the digest finds them. */
async function owedReplies(ctx: AppContext, userId: string) {
  const now = new Date();
  const facts = await loadDigestFacts(ctx.prisma, userId, new Date(now.getTime() - 30 * DAY_MS));
  const followUps = findFollowUps(collectThreads(facts.threads), () => true, now);
  return followUps
    .filter((followUp) => followUp.kind === 'owe-reply')
    .map((followUp) => followUp.subject)
    .sort();
}

describe('mail to an address of the user that touchbase learns later', () => {
  it('an alias learnt from Sent mail read after mail to it: that mail is addressed to the user, and owed a reply', async () => {
    const { messages, ids } = mailbox();
    // A page a message: the backfill (newest first) stores the mail to the alias before the Sent
    // mail that teaches it. send-as lists only the primary address, as under a headers-only grant.
    const env = await startTestEnv({ owner: ME.email, messages, fake: { maxPageSize: 1 } });
    try {
      const ctx = env.context();
      const { account, user } = await connectFake(ctx);
      expect((await syncOnce(ctx, account.id)).continues).toBe(false);

      const synced = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: account.id } });
      expect(synced.aliases).toEqual(['robin@okafor.example.net']);
      const stored = await rows(ctx);
      expect(stored.get(ids.photos as string)).toMatchObject({ addressedToUser: true, toKeys: [] });
      expect(stored.get(ids.answer as string)).toMatchObject({ addressedToUser: true, toKeys: [] });
      // In Cc only: informed, not asked, however the alias came to be known.
      expect(stored.get(ids.cc as string)).toMatchObject({
        addressedToUser: false,
        toKeys: ['mei.chen@example.net'],
      });
      // The alias is the user, not someone they wrote to.
      expect(stored.get(ids.train as string)?.counterparties).toEqual([MEI.email]);
      // Never sent from: not the user's as far as touchbase can tell, and kept to be judged again.
      expect(stored.get(ids.trip as string)).toMatchObject({
        addressedToUser: false,
        toKeys: ['robin.travel@okafor.example.net'],
      });
      // Mei's answer and her photos; the mail to the travel address waits, as Cc'd mail does.
      expect(await owedReplies(ctx, user.id)).toEqual(['Photos from Friday', 'Re: Dinner on Friday?']);

      // The user adds the travel address to Gmail's send-as and connects again: the mail to it
      // already stored becomes theirs, and the learnt alias is kept beside the listed one.
      env.fake.setSendAs([{ sendAsEmail: ME.email, isPrimary: true }, { sendAsEmail: TRAVEL.email }]);
      await connectFake(ctx);
      const reconnected = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: account.id } });
      expect(reconnected.aliases.sort()).toEqual([TRAVEL.email, 'robin@okafor.example.net']);
      expect((await rows(ctx)).get(ids.trip as string)).toMatchObject({ addressedToUser: true, toKeys: [] });
      expect(await owedReplies(ctx, user.id)).toEqual([
        'Lisbon tickets',
        'Photos from Friday',
        'Re: Dinner on Friday?',
      ]);
    } finally {
      await env.close();
    }
  });

  it('ends with the same rows as when send-as lists the alias from the start', async () => {
    const outcomes = [];
    for (const sendAs of [
      undefined,
      [{ sendAsEmail: ME.email, isPrimary: true }, { sendAsEmail: ALIAS.email }],
    ]) {
      const env = await startTestEnv({
        owner: ME.email,
        messages: mailbox().messages,
        ...(sendAs ? { sendAs } : {}),
        fake: { maxPageSize: 1 },
      });
      try {
        const ctx = env.context();
        const { account } = await connectFake(ctx);
        await syncOnce(ctx, account.id);
        outcomes.push(
          await ctx.prisma.interaction.findMany({
            orderBy: { providerMessageId: 'asc' },
            omit: { id: true, userId: true, accountId: true, createdAt: true },
          }),
        );
      } finally {
        await env.close();
      }
    }
    expect(outcomes[0]).toEqual(outcomes[1]);
  });
});
