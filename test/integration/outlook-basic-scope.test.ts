import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerForAccount } from '../../src/accounts/account-provider.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import type { AppContext } from '../../src/lib/context.ts';
import { buildOutlookMailbox, OUTLOOK_OWNER } from '../fixtures/outlook-mailbox.ts';
import { connectOutlook, type OutlookTestEnv, startOutlookEnv } from '../support/outlook-env.ts';
import { syncOnce } from '../support/test-env.ts';

const now = new Date('2026-11-20T10:00:00Z');
const mailbox = buildOutlookMailbox(now);

describe('OUTLOOK_SCOPE=basic (Mail.ReadBasic: headers, no bodies), a public client without a secret', () => {
  let env: OutlookTestEnv;
  let ctx: AppContext;
  let accountId: string;

  beforeAll(async () => {
    env = await startOutlookEnv({
      graph: { email: OUTLOOK_OWNER.email, folders: mailbox.folders, messages: mailbox.messages },
      settings: { BACKFILL_DAYS: '365', OUTLOOK_SCOPE: 'basic' },
      publicClient: true,
    });
    ctx = env.context({ clock: fixedClock(now) });
    accountId = (await connectOutlook(ctx)).account.id;
  });
  afterAll(async () => {
    await env?.close();
  });

  it('asks for Mail.ReadBasic only, and syncs every folder without internetMessageHeaders', async () => {
    expect(env.graph.lastAuthorizeRequest?.get('scope')).toBe('offline_access User.Read Mail.ReadBasic');
    const account = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    expect(providerForAccount(ctx, account).canReadBodies).toBe(false);
    // Graph refuses internetMessageHeaders (403) under Mail.ReadBasic: the sync must not ask.
    // A refresh with no client secret, as a public client does.
    env.graph.expireAccessTokens();
    const grants = env.graph.stats.tokenGrants.refresh_token;
    const result = await syncOnce(ctx, accountId);
    expect(env.graph.stats.tokenGrants.refresh_token).toBe(grants + 1);
    expect(result.stored).toBe(mailbox.expected.stored.length);
    const ids = await ctx.prisma.interaction.findMany({
      where: { accountId },
      select: { internetMessageId: true },
    });
    expect(ids.map((r) => r.internetMessageId).sort()).toEqual([...mailbox.expected.stored].sort());
  });
});
