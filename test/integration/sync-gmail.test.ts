import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownAddresses } from '../../src/accounts/account-store.ts';
import { listContacts } from '../../src/contacts/list-contacts.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import type { AppContext } from '../../src/lib/context.ts';
import { toMessageMeta } from '../../src/providers/gmail/to-message-meta.ts';
import { storeInteractions } from '../../src/sync/store-interactions.ts';
import {
  buildSampleMailbox,
  listedMessages,
  SAMPLE_OWNER,
  storedMessages,
} from '../fixtures/sample-mailbox.ts';
import { connectFake, startTestEnv, syncOnce, type TestEnv } from '../support/test-env.ts';

const now = new Date('2026-11-20T10:00:00Z');
const sample = buildSampleMailbox({ owner: SAMPLE_OWNER.email, ownerName: SAMPLE_OWNER.name, now });

describe('Gmail sync through the real googleapis client', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let accountId: string;
  let userId: string;

  const runSync = () => syncOnce(ctx, accountId);
  const snapshot = async () => ({
    interactions: await ctx.prisma.interaction.count(),
    contacts: await ctx.prisma.contact.findMany({ orderBy: { id: 'asc' }, include: { addresses: true } }),
  });

  beforeAll(async () => {
    env = await startTestEnv({
      owner: SAMPLE_OWNER.email,
      messages: sample.messages,
      sendAs: [
        { sendAsEmail: SAMPLE_OWNER.email, isPrimary: true },
        ...sample.expected.aliases.map((sendAsEmail) => ({ sendAsEmail })),
      ],
    });
    ctx = env.context({ clock: fixedClock(now) });
    const connected = await connectFake(ctx);
    accountId = connected.account.id;
    userId = connected.user.id;
  });
  afterAll(async () => {
    await env?.close();
  });

  it('backfills every message once, as header facts only', async () => {
    const result = await runSync();
    const expected = storedMessages(sample.messages);
    expect(result.stored).toBe(expected.length);
    expect(await ctx.prisma.interaction.count({ where: { accountId } })).toBe(expected.length);
    const account = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    expect(account.backfillDoneAt).not.toBeNull();
    expect(account.backfillState).toBeNull();
    expect(account.aliases.sort()).toEqual([...sample.expected.aliases].sort());
    // Never dearer than one metadata get per listed message (drafts are listed, then skipped):
    // a thread is read whole only in place of two or more gets (gmail-fetch-plan.test.ts).
    const listed = listedMessages(sample.messages);
    const gets = env.fake.stats.byEndpoint['users.messages.get'] ?? 0;
    const threads = env.fake.stats.byEndpoint['users.threads.get'] ?? 0;
    expect(gets + 2 * threads).toBeLessThanOrEqual(listed.length);
    expect(threads).toBeGreaterThan(0);
  });

  it('finds the people the sample mailbox says it should, and nobody automated', async () => {
    const contacts = await listContacts(ctx.prisma, userId, now, { includeMuted: true });
    const emails = new Set(contacts.flatMap((c) => c.emails));
    for (const address of [...sample.expected.active, ...sample.expected.lapsed])
      expect(emails).toContain(address);
    for (const address of sample.expected.notContacts) expect(emails).not.toContain(address);
    for (const address of [SAMPLE_OWNER.email, ...sample.expected.aliases])
      expect(emails).not.toContain(address);
    const status = (address: string) => contacts.find((c) => c.emails.includes(address))?.status;
    for (const address of sample.expected.lapsed) expect(status(address)).toBe('lapsed');
    for (const address of sample.expected.active) expect(status(address)).toBe('active');
  });

  it('changes nothing when the same sync runs again', async () => {
    const before = await snapshot();
    const result = await runSync();
    expect(result.stored).toBe(0);
    expect(await snapshot()).toEqual(before);
  });

  it('picks up new mail through history.list and updates the contact', async () => {
    const friend = sample.expected.lapsed[0] as string;
    env.fake.addMessage({
      id: 'new-message-1',
      threadId: 'new-thread-1',
      labelIds: ['INBOX', 'UNREAD'],
      internalDate: now.getTime() - 60_000,
      headers: [
        { name: 'From', value: `Old Friend <${friend}>` },
        { name: 'To', value: SAMPLE_OWNER.email },
        { name: 'Subject', value: 'Long time no see' },
        { name: 'Message-ID', value: '<new-message-1@example.com>' },
      ],
    });
    const result = await runSync();
    expect(result.backfillPages).toBe(0);
    expect(result.stored).toBe(1);
    const contacts = await listContacts(ctx.prisma, userId, now);
    const contact = contacts.find((c) => c.emails.includes(friend));
    expect(contact?.lastReceivedAt?.getTime()).toBe(now.getTime() - 60_000);
    expect(contact?.status).toBe('active');
    expect(contact?.lastSubject).toBe('Long time no see');
  });

  it('recomputes a contact that a killed run stored mail for but never recomputed', async () => {
    const friend = sample.expected.lapsed[0] as string;
    const at = now.getTime() - 30_000;
    const meta = toMessageMeta({
      id: 'killed-run-1',
      threadId: 'killed-thread-1',
      labelIds: ['INBOX'],
      internalDate: String(at),
      payload: {
        headers: [
          { name: 'From', value: `Old Friend <${friend}>` },
          { name: 'To', value: SAMPLE_OWNER.email },
          { name: 'Subject', value: 'Stored, then the worker died' },
          { name: 'Message-ID', value: '<killed-run-1@example.com>' },
        ],
      },
    });
    if (!meta) throw new Error('the message should be kept');
    // The store statement committed; the worker was killed before any recompute.
    const own = await ownAddresses(ctx.prisma, userId);
    await storeInteractions(ctx.prisma, { userId, accountId }, [meta], own);
    const lastReceived = async () =>
      (await listContacts(ctx.prisma, userId, now)).find((c) => c.emails.includes(friend))?.lastReceivedAt;
    expect((await lastReceived())?.getTime()).toBe(now.getTime() - 60_000);
    expect(await ctx.prisma.dirtyAddress.count({ where: { userId } })).toBeGreaterThan(0);

    const result = await runSync();
    expect(result.stored).toBe(0);
    expect((await lastReceived())?.getTime()).toBe(at);
    expect(await ctx.prisma.dirtyAddress.count({ where: { userId } })).toBe(0);
  });

  it('resyncs after the history cursor expires, keeping every row and counting nothing twice', async () => {
    const before = await snapshot();
    env.fake.expireHistory();
    const result = await runSync();
    expect(result.resynced).toBe(true);
    expect(result.stored).toBe(0);
    expect(await snapshot()).toEqual(before);
  });
});
