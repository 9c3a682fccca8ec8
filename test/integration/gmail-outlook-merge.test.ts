import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listContacts } from '../../src/contacts/list-contacts.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import type { AppContext } from '../../src/lib/context.ts';
import type { FakeGmailMessage } from '../fakes/gmail/fake-gmail.ts';
import { graphMessage } from '../fixtures/outlook-mailbox.ts';
import { buildSampleMailbox, SAMPLE_OWNER } from '../fixtures/sample-mailbox.ts';
import { connectOutlook, type OutlookTestEnv, startOutlookEnv } from '../support/outlook-env.ts';
import { connectFake, syncOnce } from '../support/test-env.ts';

const now = new Date('2026-11-20T10:00:00Z');
const sample = buildSampleMailbox({ owner: SAMPLE_OWNER.email, ownerName: SAMPLE_OWNER.name, now });
const WORK = 'alex@contoso.com';
const DANA = 'dana.whitfield@example.com';
const OLGA = 'olga.petrova@contoso.com';

/** The user writes from Gmail to their own work address, before the work mailbox is connected. */
const toWork: FakeGmailMessage = {
  id: 'to-work-1',
  threadId: 'to-work-1',
  labelIds: ['SENT'],
  internalDate: now.getTime() - 3 * 86_400_000,
  headers: [
    { name: 'From', value: `${SAMPLE_OWNER.name} <${SAMPLE_OWNER.email}>` },
    { name: 'To', value: `Alex (work) <${WORK}>` },
    { name: 'Subject', value: 'note to self' },
    { name: 'Message-ID', value: '<to-work-1@mail.gmail.example>' },
  ],
};

describe('one user with a Gmail and an Outlook account', () => {
  let env: OutlookTestEnv;
  let ctx: AppContext;
  let userId: string;

  beforeAll(async () => {
    // Dana writes to both mailboxes and is answered from both; Olga only at work. The work
    // mailbox has the user's own Gmail copy of the note to self, in its inbox.
    const m = (opts: Omit<Parameters<typeof graphMessage>[0], 'now'>) => graphMessage({ ...opts, now });
    env = await startOutlookEnv({
      gmailOwner: SAMPLE_OWNER.email,
      gmailMessages: [...sample.messages, toWork],
      graph: {
        email: WORK,
        messages: [
          m({ id: 'w1', folder: 'inbox', from: DANA, to: ['me'], daysAgo: 2 }),
          m({ id: 'w2', folder: 'sentitems', from: 'me', to: [DANA], daysAgo: 1 }),
          m({ id: 'w3', folder: 'inbox', from: OLGA, to: ['me'], daysAgo: 6 }),
          m({ id: 'w4', folder: 'sentitems', from: 'me', to: [OLGA], daysAgo: 5 }),
          m({ id: 'w5', folder: 'inbox', from: SAMPLE_OWNER.email, to: ['me'], daysAgo: 3 }),
        ],
      },
    });
    ctx = env.context({ clock: fixedClock(now) });
    const gmail = await connectFake(ctx);
    userId = gmail.user.id;
    await syncOnce(ctx, gmail.account.id);
    const outlook = await connectOutlook(ctx, SAMPLE_OWNER.email);
    expect(outlook.user.id).toBe(userId);
    await syncOnce(ctx, outlook.account.id);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('gets one merged set of contacts: each person once, with mail from both mailboxes', async () => {
    const contacts = await listContacts(ctx.prisma, userId, now, { includeMuted: true });
    const emails = contacts.flatMap((c) => c.emails);
    expect(emails.filter((e) => e === DANA)).toHaveLength(1);
    expect(emails).toContain(OLGA);
    for (const address of sample.expected.contacts) expect(emails).toContain(address);
    expect(contacts).toHaveLength(sample.expected.contacts.length + 1);

    const dana = await ctx.prisma.interaction.findMany({
      where: { userId, counterparties: { has: DANA } },
      select: { accountId: true, at: true },
      orderBy: { at: 'desc' },
    });
    expect(new Set(dana.map((r) => r.accountId)).size).toBe(2);
    // The work mailbox's reply of yesterday is one of her exchanges.
    expect(dana.map((r) => r.at.getTime())).toContain(now.getTime() - 86_400_000);
    expect(contacts.find((c) => c.emails.includes(DANA))?.status).toBe('active');
  });

  it("never makes either mailbox's address a contact of the other", async () => {
    const contacts = await listContacts(ctx.prisma, userId, now, { includeMuted: true });
    const emails = new Set(contacts.flatMap((c) => c.emails));
    expect(emails).not.toContain(WORK);
    expect(emails).not.toContain(SAMPLE_OWNER.email);
    for (const alias of sample.expected.aliases) expect(emails).not.toContain(alias);
  });
});
