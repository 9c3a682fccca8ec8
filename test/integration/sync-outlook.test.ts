import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerForAccount } from '../../src/accounts/account-provider.ts';
import { listContacts } from '../../src/contacts/list-contacts.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import type { AppContext } from '../../src/lib/context.ts';
import { buildOutlookMailbox, graphMessage, OUTLOOK_OWNER } from '../fixtures/outlook-mailbox.ts';
import { connectOutlook, type OutlookTestEnv, startOutlookEnv } from '../support/outlook-env.ts';
import { syncOnce } from '../support/test-env.ts';

const now = new Date('2026-11-20T10:00:00Z');
const mailbox = buildOutlookMailbox(now);

describe('Outlook sync through the real Microsoft Graph client', () => {
  let env: OutlookTestEnv;
  let ctx: AppContext;
  let accountId: string;
  let userId: string;

  const storedIds = async () =>
    (await ctx.prisma.interaction.findMany({ where: { accountId }, select: { internetMessageId: true } }))
      .map((r) => r.internetMessageId)
      .sort();

  beforeAll(async () => {
    env = await startOutlookEnv({
      graph: {
        email: OUTLOOK_OWNER.email,
        displayName: OUTLOOK_OWNER.name,
        proxyAddresses: [`SMTP:${OUTLOOK_OWNER.email}`, 'smtp:ada.l@contoso.com', 'X500:/o=contoso/cn=ada'],
        folders: mailbox.folders,
        messages: mailbox.messages,
      },
      settings: { BACKFILL_DAYS: '365' },
    });
    ctx = env.context({ clock: fixedClock(now) });
    const connected = await connectOutlook(ctx);
    accountId = connected.account.id;
    userId = connected.user.id;
  });
  afterAll(async () => {
    await env?.close();
  });

  it('connects with the address from /me and the aliases from proxyAddresses', async () => {
    const account = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    expect(account.provider).toBe('outlook');
    expect(account.email).toBe(OUTLOOK_OWNER.email);
    expect(account.aliases).toEqual(['ada.l@contoso.com']);
    expect(account.scopes.map((s) => s.toLowerCase())).toEqual(
      expect.arrayContaining(['mail.read', 'user.read']),
    );
    const asked = env.graph.lastAuthorizeRequest?.get('scope')?.split(' ');
    expect(asked).toEqual(['offline_access', 'User.Read', 'Mail.Read']);
  });

  it('backfills every folder that holds real mail, within BACKFILL_DAYS, each message once', async () => {
    const result = await syncOnce(ctx, accountId);
    expect(await storedIds()).toEqual([...mailbox.expected.stored].sort());
    expect(result.stored).toBe(mailbox.expected.stored.length);
    const account = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    expect(account.backfillDoneAt).not.toBeNull();
    expect(account.backfillState).toBeNull();
    // The cursor holds each synced folder's deltaLink, ready for the next run.
    const cursor = account.syncCursor as { folders: { link: string | null; inRound: boolean }[] };
    expect(cursor.folders.length).toBeGreaterThanOrEqual(4);
    for (const folder of cursor.folders) {
      expect(folder.inRound).toBe(false);
      expect(folder.link).toMatch(/deltatoken/i);
    }
    // No message was fetched one by one: only delta pages.
    expect(env.graph.stats.byRoute['messages.get'] ?? 0).toBe(0);
  });

  it('finds the people, and nobody from junk, deleted items, drafts, chats, lists or before the window', async () => {
    const contacts = await listContacts(ctx.prisma, userId, now, { includeMuted: true });
    const emails = new Set(contacts.flatMap((c) => c.emails));
    for (const address of mailbox.expected.contacts) expect(emails).toContain(address);
    for (const address of mailbox.expected.notContacts) expect(emails).not.toContain(address);
    expect(emails).not.toContain(OUTLOOK_OWNER.email);
  });

  it('finds a message by its Message-ID (did a digest arrive?) and reads a reply body', async () => {
    const account = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    const provider = providerForAccount(ctx, account);
    expect(provider.canReadBodies).toBe(true);
    expect(await provider.hasMessageId('<m1@mail.example>')).toBe(true);
    expect(await provider.hasMessageId("<nowhere'@mail.example>")).toBe(false);
    expect(await provider.fetchReplyText('<m2@mail.example>')).toEqual(expect.any(String));
  });

  it('changes nothing when the same sync runs again', async () => {
    const before = await ctx.prisma.interaction.count();
    const result = await syncOnce(ctx, accountId);
    expect(result.stored).toBe(0);
    expect(await ctx.prisma.interaction.count()).toBe(before);
  });

  it('picks up new mail, and a moved message is not counted twice', async () => {
    env.graph.addMessage(
      graphMessage({ id: 'm7', folder: 'inbox', from: 'bob@example.com', to: ['me'], daysAgo: 0, now }),
    );
    const carol = env.graph.messages().find((m) => m.internetMessageId === '<m3@mail.example>');
    if (!carol) throw new Error('the fixture lost m3');
    env.graph.moveMessage(carol.id, 'Projects');
    const result = await syncOnce(ctx, accountId);
    expect(result.stored).toBe(1);
    expect(await storedIds()).toEqual([...mailbox.expected.stored, '<m7@mail.example>'].sort());
  });

  it('picks up a folder created after the backfill', async () => {
    env.graph.addFolder({ displayName: 'Clients' });
    env.graph.addMessage(
      graphMessage({ id: 'm8', folder: 'Clients', from: 'ivan@example.com', to: ['me'], daysAgo: 0, now }),
    );
    const result = await syncOnce(ctx, accountId);
    expect(result.stored).toBe(1);
    expect(await storedIds()).toContain('<m8@mail.example>');
  });

  it('restarts only the folder whose delta token expired (410), keeping every row', async () => {
    const before = await ctx.prisma.interaction.count();
    const served = env.graph.stats.deltaMessagesServed;
    env.graph.invalidateDelta('inbox');
    env.graph.addMessage(
      graphMessage({ id: 'm9', folder: 'archive', from: 'carol@example.com', to: ['me'], daysAgo: 0, now }),
    );
    const result = await syncOnce(ctx, accountId);
    expect(result.resynced).toBe(false);
    expect(result.stored).toBe(1);
    expect(await ctx.prisma.interaction.count()).toBe(before + 1);
    // The inbox was listed again (its messages in the window), the other folders only their news.
    const inbox = env.graph.messages().filter((m) => m.folderId === env.graph.folderId('inbox'));
    const inWindow = inbox.filter((m) => Date.parse(m.receivedDateTime) >= now.getTime() - 365 * 86_400_000);
    expect(env.graph.stats.deltaMessagesServed - served).toBe(inWindow.length + 1);
    const account = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    expect(account.backfillState).toBeNull();
  });
});
