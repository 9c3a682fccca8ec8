import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenStore } from '../../src/accounts/account-store.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import type { AppContext } from '../../src/lib/context.ts';
import { ProviderError } from '../../src/lib/errors.ts';
import { AccountStatus, Prisma } from '../../src/lib/prisma.ts';
import { refreshAccessToken } from '../../src/oauth/oauth-client.ts';
import { providerDefinition } from '../../src/providers/create-provider.ts';
import { decideSyncError } from '../../src/sync/sync-error-policy.ts';
import { buildOutlookMailbox, OUTLOOK_OWNER } from '../fixtures/outlook-mailbox.ts';
import { connectOutlook, type OutlookTestEnv, startOutlookEnv } from '../support/outlook-env.ts';
import { syncOnce } from '../support/test-env.ts';

const now = new Date('2026-11-20T10:00:00Z');
const mailbox = buildOutlookMailbox(now);
const graphMailbox = { email: OUTLOOK_OWNER.email, folders: mailbox.folders, messages: mailbox.messages };

/** Starts over: the account active with a usable stored token, the fake accepting refreshes. */
async function reset(env: OutlookTestEnv, ctx: AppContext, accountId: string) {
  env.graph.allowRefresh();
  await ctx.prisma.mailAccount.update({
    where: { id: accountId },
    data: { status: AccountStatus.ACTIVE, statusReason: null, lastSyncError: null },
  });
}

/** The refresh token stored for the account, decrypted. */
async function storedRefreshToken(ctx: AppContext, accountId: string) {
  return (await createTokenStore(ctx.prisma, ctx.cipher).load(accountId)).refreshToken;
}

describe('Outlook throttling and reconnect errors', () => {
  let env: OutlookTestEnv;
  let ctx: AppContext;
  let accountId: string;

  beforeAll(async () => {
    env = await startOutlookEnv({ graph: graphMailbox, settings: { BACKFILL_DAYS: '365' } });
    ctx = env.context({ clock: fixedClock(now) });
    accountId = (await connectOutlook(ctx)).account.id;
  });
  afterAll(async () => {
    await env?.close();
  });

  it('a 429 puts the whole mailbox in the penalty box in Redis, for every process', async () => {
    env.graph.injectFault({ path: /messages\/delta/, status: 429, retryAfterSeconds: 2, times: 1 });
    const other = env.context({ clock: fixedClock(now) });
    const penaltyKey = `${env.config.QUEUE_PREFIX}:quota:${accountId}:penalty`;
    const first = syncOnce(ctx, accountId);
    // The other process sees the penalty set by the first, in the shared Redis.
    let seen = 0;
    for (let i = 0; i < 400 && seen <= 0; i++) {
      seen = await other.redis().pttl(penaltyKey);
      if (seen <= 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThanOrEqual(2000);
    const result = await first;
    expect(result.stored).toBe(mailbox.expected.stored.length);
  });

  it('a storm of 429s across two worker processes still completes, each message once', async () => {
    await ctx.prisma.interaction.deleteMany({ where: { accountId } });
    await ctx.prisma.mailAccount.update({
      where: { id: accountId },
      data: { syncCursor: Prisma.DbNull, backfillState: Prisma.DbNull },
    });
    const throttledBefore = env.graph.stats.throttled;
    env.graph.setLimits({ requestsPerWindow: 6, windowMs: 1_000 });
    const other = env.context({ clock: fixedClock(now) });
    const [a, b] = await Promise.all([syncOnce(ctx, accountId), syncOnce(other, accountId)]);
    env.graph.setLimits({ requestsPerWindow: 10_000, windowMs: 600_000 });
    expect(env.graph.stats.throttled).toBeGreaterThan(throttledBefore);
    expect(a.stored + b.stored).toBe(mailbox.expected.stored.length);
    expect(await ctx.prisma.interaction.count({ where: { accountId } })).toBe(mailbox.expected.stored.length);
  });

  it.each([
    ['revoked (AADSTS50173/70008)', (e: OutlookTestEnv) => e.graph.revokeRefreshTokens()],
    ['expired (AADSTS70008)', (e: OutlookTestEnv) => e.graph.expireRefreshTokens()],
    ['MFA required (AADSTS50076)', (e: OutlookTestEnv) => e.graph.requireMfa()],
  ])(
    'refresh token %s: NEEDS_RECONNECT with the reason, refreshed once, no retry',
    async (_name, breakIt) => {
      await reset(env, ctx, accountId);
      breakIt(env);
      env.graph.expireAccessTokens();
      const grants = env.graph.stats.tokenGrants.refresh_token;
      const error = await syncOnce(ctx, accountId).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).code).toBe('AUTH_REVOKED');
      expect(decideSyncError(error).action).toBe('reconnect');
      expect(env.graph.stats.tokenGrants.refresh_token - grants).toBe(1);
      const account = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
      expect(account.status).toBe(AccountStatus.NEEDS_RECONNECT);
      expect(account.statusReason).toMatch(/AADSTS\d+/);
      expect(account.statusReason).toMatch(/reconnect/);
      // A later run does not try again: the account waits for the user.
      const skipped = await syncOnce(ctx, accountId);
      expect(skipped.skipped).toMatch(/NEEDS_RECONNECT/);
      expect(env.graph.stats.tokenGrants.refresh_token - grants).toBe(1);
    },
  );
});

describe('Outlook refresh token rotation', () => {
  it.each([
    // Microsoft's documented behaviour: a new refresh token does not revoke the older ones.
    ['lenient', 'the next run still works and stores the newest token'],
    // A stricter server burns a used token: the account must say why it needs reconnecting.
    ['strict', 'the account is marked needs-reconnect with the reason'],
  ] as const)('worker killed between refresh and store (%s rotation): %s', async (rotation, _outcome) => {
    const env = await startOutlookEnv({
      graph: { ...graphMailbox, rotation },
      settings: { BACKFILL_DAYS: '365' },
    });
    try {
      const ctx = env.context({ clock: fixedClock(now) });
      const { account } = await connectOutlook(ctx);
      const original = await storedRefreshToken(ctx, account.id);
      // A worker redeems the stored refresh token, then dies before saving what came back.
      const oauth = providerDefinition('outlook', ctx.config).oauth;
      const lost = await refreshAccessToken(oauth, original);
      expect(lost.refreshToken).not.toBe(original);
      env.graph.expireAccessTokens();

      const outcome = await syncOnce(ctx, account.id).catch((e: unknown) => e);
      const after = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: account.id } });
      if (rotation === 'lenient') {
        expect(outcome).not.toBeInstanceOf(Error);
        expect(after.status).toBe(AccountStatus.ACTIVE);
        const newest = await storedRefreshToken(ctx, account.id);
        expect(newest).not.toBe(original);
        expect(newest).not.toBe(lost.refreshToken);
        expect(await ctx.prisma.interaction.count()).toBe(mailbox.expected.stored.length);
        // Store, then use: the token stored now is the one that works next time.
        env.graph.expireAccessTokens();
        expect((await syncOnce(ctx, account.id)).skipped).toBeUndefined();
      } else {
        expect(outcome).toBeInstanceOf(ProviderError);
        expect(after.status).toBe(AccountStatus.NEEDS_RECONNECT);
        expect(after.statusReason).toMatch(/reconnect/);
      }
    } finally {
      await env.close();
    }
  });
});
