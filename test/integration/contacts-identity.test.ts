import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownAddresses } from '../../src/accounts/account-store.ts';
import { explainContact } from '../../src/contacts/explain-contact.ts';
import { listContacts } from '../../src/contacts/list-contacts.ts';
import { mergeContacts, setCadence, setMuted } from '../../src/contacts/manage-contacts.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import type { AppContext } from '../../src/lib/context.ts';
import type { FakeGmailMessage } from '../fakes/gmail/fake-gmail.ts';
import { connectFake, startTestEnv, syncOnce, type TestEnv } from '../support/test-env.ts';

const ME = 'sam@example.com';
const now = new Date('2026-11-20T12:00:00Z');
const DAY = 86_400_000;
let seq = 0;

/** One message of the user's mailbox, as Gmail would hold it. */
function mail(
  daysAgo: number,
  from: string,
  to: string,
  extra: Record<string, string> = {},
): FakeGmailMessage {
  seq += 1;
  const sent = from.includes(ME);
  return {
    id: `m${seq}`,
    threadId: extra.thread ?? `t${seq}`,
    labelIds: sent ? ['SENT'] : ['INBOX'],
    internalDate: now.getTime() - daysAgo * DAY,
    headers: [
      { name: 'From', value: from },
      { name: 'To', value: to },
      { name: 'Subject', value: extra.subject ?? `message ${seq}` },
      { name: 'Message-ID', value: extra.messageId ?? `<m${seq}@example.com>` },
      ...(extra.cc ? [{ name: 'Cc', value: extra.cc }] : []),
    ],
  };
}

const messages = [
  // Ann writes from two Gmail variants of one mailbox: one person, automatically.
  mail(60, ME, 'Ann <ann.lee@gmail.com>'),
  mail(59, 'Ann <annlee+work@googlemail.com>', ME),
  mail(30, ME, 'Ann <ANN.LEE@gmail.com>'),
  // Bob has a work and a personal address: two contacts until the user merges them.
  mail(50, ME, 'Bob Stone <bob@work.example>'),
  mail(49, 'Bob Stone <bob@work.example>', ME),
  mail(20, ME, 'Bobby <bobby@home.example>'),
  mail(19, 'Bobby <bobby@home.example>', ME),
  // Cara: a contact the user will mute.
  mail(40, ME, 'Cara <cara@example.org>'),
  mail(39, 'Cara <cara@example.org>', ME),
  // The same message twice (two copies of one Message-ID): counted once.
  mail(10, 'Dan <dan@example.net>', ME, { messageId: '<dup@example.net>' }),
  mail(10, 'Dan <dan@example.net>', ME, { messageId: '<dup@example.net>' }),
  mail(12, ME, 'Dan <dan@example.net>'),
  // Eve only ever Cc'd the user and never got an answer: not a contact.
  mail(3, 'Eve <eve@example.org>', 'someone@example.org', { cc: ME }),
];

describe('identity: automatic and explicit merges, mutes and cadences that survive re-sync', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let userId: string;
  let accountId: string;
  const options = async () => ({ groupSizeLimit: 10, own: await ownAddresses(ctx.prisma, userId) });
  const contactFor = async (address: string) =>
    (await listContacts(ctx.prisma, userId, now, { includeMuted: true })).find((c) =>
      c.emails.includes(address),
    );

  beforeAll(async () => {
    env = await startTestEnv({ owner: ME, messages });
    ctx = env.context({ clock: fixedClock(now) });
    const connected = await connectFake(ctx);
    userId = connected.user.id;
    accountId = connected.account.id;
    await syncOnce(ctx, accountId);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('merges Gmail dot, +tag, case and googlemail variants into one person by itself', async () => {
    const ann = await contactFor('ann.lee@gmail.com');
    expect(ann?.emails.sort()).toEqual(['ann.lee@gmail.com', 'annlee+work@googlemail.com']);
    expect(ann?.sentCount).toBe(2);
    expect(ann?.receivedCount).toBe(1);
  });

  it('counts two copies of one Message-ID once', async () => {
    const dan = await contactFor('dan@example.net');
    expect(dan?.receivedCount).toBe(1);
  });

  it('never makes a contact of someone the user was only Cc-ed by', async () => {
    expect(await contactFor('eve@example.org')).toBeUndefined();
  });

  it('keeps an explicit merge, a mute and a cadence through a full re-sync', async () => {
    const merged = await mergeContacts(
      ctx.prisma,
      userId,
      'bob@work.example',
      'bobby@home.example',
      await options(),
    );
    expect(merged.addresses.map((a) => a.address).sort()).toEqual(['bob@work.example', 'bobby@home.example']);
    await setMuted(ctx.prisma, userId, 'Cara', true, now);
    await setCadence(ctx.prisma, userId, 'bob@work.example', 90);

    // Forget the cursor: the next sync reads the whole mailbox again.
    await ctx.prisma.$executeRaw`UPDATE mail_accounts SET "syncCursor" = NULL, "backfillDoneAt" = NULL`;
    await syncOnce(ctx, accountId);

    const contacts = await listContacts(ctx.prisma, userId, now, { includeMuted: true });
    const bob = contacts.find((c) => c.emails.includes('bobby@home.example'));
    expect(bob?.emails.sort()).toEqual(['bob@work.example', 'bobby@home.example']);
    expect(bob?.sentCount).toBe(2);
    expect(bob?.receivedCount).toBe(2);
    expect(bob?.explicitCadenceDays).toBe(90);
    expect(
      contacts.filter(
        (c) => c.emails.includes('bobby@home.example') || c.emails.includes('bob@work.example'),
      ),
    ).toHaveLength(1);
    expect(contacts.find((c) => c.emails.includes('cara@example.org'))?.status).toBe('muted');
    expect(
      (await listContacts(ctx.prisma, userId, now)).some((c) => c.emails.includes('cara@example.org')),
    ).toBe(false);
  });

  it('explains its decisions', async () => {
    const ann = await explainContact(ctx.prisma, userId, 'ann.lee@gmail.com', now, await options());
    expect(ann.join('\n')).toMatch(/annlee\+work@googlemail\.com: joined automatically/);
    expect(ann.join('\n')).toMatch(/A contact/);
    const eve = await explainContact(ctx.prisma, userId, 'eve@example.org', now, await options());
    expect(eve.join('\n')).toMatch(/never written to them/);
    const bob = await explainContact(ctx.prisma, userId, 'Bobby', now, await options());
    expect(bob.join('\n')).toMatch(/merged by you/);
    expect(bob.join('\n')).toMatch(/every 3 months, set by you/);
    const me = await explainContact(ctx.prisma, userId, ME, now, await options());
    expect(me.join('\n')).toMatch(/your own addresses/);
  });

  it('drops a contact whose address becomes one of the user own', async () => {
    await ctx.prisma.mailAccount.update({ where: { id: accountId }, data: { aliases: ['dan@example.net'] } });
    await syncOnce(ctx, accountId);
    expect(await contactFor('dan@example.net')).toBeUndefined();
  });
});
