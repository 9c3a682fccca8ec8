import { afterEach, describe, expect, it } from 'vitest';
import { createTokenStore } from '../../src/accounts/account-store.ts';
import type { AppContext } from '../../src/lib/context.ts';
import { AccountStatus } from '../../src/lib/prisma.ts';
import { graphTlsEnv } from '../fakes/graph/tls.ts';
import { buildOutlookMailbox, OUTLOOK_OWNER } from '../fixtures/outlook-mailbox.ts';
import { type GatedProxy, startGatedProxy } from '../support/gated-proxy.ts';
import { connectOutlook, type OutlookTestEnv, startOutlookEnv } from '../support/outlook-env.ts';
import { type CliRun, startCli } from '../support/run-cli.ts';
import { syncOnce } from '../support/test-env.ts';
import { waitFor } from '../support/wait-for.ts';

const mailbox = buildOutlookMailbox(new Date());
const graphMailbox = { email: OUTLOOK_OWNER.email, folders: mailbox.folders, messages: mailbox.messages };

/**
 * Microsoft rotates refresh tokens: a worker that redeems one and dies before storing the answer
 * has lost the newest token. A real worker process is killed at exactly that moment: the token
 * endpoint sits behind a proxy that passes the refresh on (the identity rotates) and holds the
 * answer, and the test SIGKILLs the worker while it waits for it.
 */
describe('an Outlook worker killed between a token refresh and storing its answer', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function killMidRefresh(rotation: 'lenient' | 'strict') {
    const proxy: GatedProxy = await startGatedProxy(/\/oauth2\/v2\.0\/token$/, { holdResponses: true });
    cleanups.push(() => proxy.stop());
    const env: OutlookTestEnv = await startOutlookEnv({
      graph: { ...graphMailbox, rotation },
      settings: { BACKFILL_DAYS: '365', SYNC_STALLED_SECONDS: '3' },
    });
    cleanups.push(() => env.close());
    proxy.target = env.graph.authorityUrl;
    const ctx = env.context();
    // Connected directly (not through the proxy); the sync job `connect` queued is the worker's.
    const { account } = await connectOutlook(ctx);
    const original = await storedRefreshToken(ctx, account.id);
    env.graph.expireAccessTokens();
    const grants = env.graph.stats.tokenGrants.refresh_token;

    const settings = {
      ...env.env,
      ...graphTlsEnv(),
      MICROSOFT_AUTHORITY_URL: proxy.url.replace(/\/$/, ''),
    };
    proxy.close();
    const first: CliRun = startCli(['worker'], settings);
    cleanups.push(() => first.child.kill('SIGKILL'));
    await waitFor(async () => (proxy.held() > 0 ? true : null), 'the worker to refresh the token');
    first.child.kill('SIGKILL');
    expect((await first.exit).signal).toBe('SIGKILL');
    // The identity issued a new refresh token; the dead worker stored nothing.
    expect(env.graph.stats.tokenGrants.refresh_token - grants).toBe(1);
    expect(await storedRefreshToken(ctx, account.id)).toBe(original);
    proxy.open();

    const second: CliRun = startCli(['worker'], settings);
    cleanups.push(async () => {
      second.child.kill('SIGTERM');
      await second.exit;
    });
    const after = await waitFor(async () => {
      const row = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: account.id } });
      return row.status !== AccountStatus.ACTIVE || row.backfillDoneAt ? row : null;
    }, 'the next worker to finish or give up');
    return { ctx, env, accountId: account.id, original, after };
  }

  it('lenient rotation (Microsoft’s documented behaviour): the next worker syncs and stores the newest token', async () => {
    const { ctx, env, accountId, original, after } = await killMidRefresh('lenient');
    expect(after.status).toBe(AccountStatus.ACTIVE);
    expect(await ctx.prisma.interaction.count({ where: { accountId } })).toBe(mailbox.expected.stored.length);
    const newest = await storedRefreshToken(ctx, accountId);
    expect(newest).not.toBe(original);
    // Stored before use: the token kept now is the one that works next time.
    env.graph.expireAccessTokens();
    expect((await syncOnce(ctx, accountId)).skipped).toBeUndefined();
  });

  it('strict rotation (a used token burnt): the account needs reconnecting and says why, no retry loop', async () => {
    const { env, after } = await killMidRefresh('strict');
    expect(after.status).toBe(AccountStatus.NEEDS_RECONNECT);
    expect(after.statusReason).toMatch(/reconnect/);
    const grants = env.graph.stats.tokenGrants.refresh_token;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(env.graph.stats.tokenGrants.refresh_token).toBe(grants);
  });
});

async function storedRefreshToken(ctx: AppContext, accountId: string) {
  return (await createTokenStore(ctx.prisma, ctx.cipher).load(accountId)).refreshToken;
}
