import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/lib/clock.ts';
import type { AppContext } from '../../src/lib/context.ts';
import { buildOutlookMailbox, OUTLOOK_OWNER } from '../fixtures/outlook-mailbox.ts';
import { connectOutlook, type OutlookTestEnv, startOutlookEnv } from '../support/outlook-env.ts';
import { syncOnce } from '../support/test-env.ts';

const now = new Date('2026-11-20T10:00:00Z');
const mailbox = buildOutlookMailbox(now);
const graphMailbox = { email: OUTLOOK_OWNER.email, folders: mailbox.folders, messages: mailbox.messages };

/**
 * Graph requests that never get an answer, or get 5xx after 5xx: each is abandoned after
 * PROVIDER_TIMEOUT_SECONDS or backed off (exponential, with jitter) and tried again, so a lost
 * request never leaves a folder's chain of pages stuck, and the sync completes with each
 * message once.
 */
describe('Outlook requests that hang or fail', () => {
  let env: OutlookTestEnv;
  let ctx: AppContext;
  let accountId: string;

  beforeAll(async () => {
    env = await startOutlookEnv({
      graph: graphMailbox,
      settings: { BACKFILL_DAYS: '365', PROVIDER_TIMEOUT_SECONDS: '1', PROVIDER_RETRY_BASE_MS: '10' },
    });
    ctx = env.context({ clock: fixedClock(now) });
    accountId = (await connectOutlook(ctx)).account.id;
  });
  afterAll(async () => {
    await env?.close();
  });

  it('are abandoned after the timeout or backed off, and tried again; the sync completes', async () => {
    // Folder discovery's $batch (the top-level listing in it) and a delta page never answer;
    // three delta pages answer 503.
    env.graph.injectFault({ path: /^\/me\/mailFolders\?/, status: 0, hang: true });
    env.graph.injectFault({ path: /\/messages\/delta/, status: 0, hang: true });
    env.graph.injectFault({ path: /\/messages\/delta/, status: 503, times: 3 });
    const pagesBefore = env.graph.stats.pagesServed;

    const started = performance.now();
    const result = await syncOnce(ctx, accountId);
    const seconds = (performance.now() - started) / 1000;

    expect(env.graph.stats.hung).toBe(2);
    // Two timeouts of 1 s each, at least; never the SDK's own (unbounded) wait.
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(result.stored).toBe(mailbox.expected.stored.length);
    expect(env.graph.stats.pagesServed).toBeGreaterThan(pagesBefore);
    const stored = await ctx.prisma.interaction.findMany({
      where: { accountId },
      select: { providerMessageId: true },
    });
    expect(stored.map((r) => r.providerMessageId).sort()).toEqual([...mailbox.expected.stored].sort());
    const account = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    expect(account.lastSyncError).toBeNull();
    expect(account.backfillDoneAt).not.toBeNull();
  });

  it('past the retries, the run fails with a reason that names the request; the account stays connected', async () => {
    // The listing's batch item, then its own request and all five retries.
    env.graph.injectFault({ path: /^\/me\/mailFolders\?/, status: 503, times: 7 });
    const error = await syncOnce(ctx, accountId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^Outlook mailFolders\.list: 503 ServiceNotAvailable/);
    const account = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    expect(account.status).toBe('ACTIVE');
    // The next run, the storm over, goes on.
    const again = await syncOnce(ctx, accountId);
    expect(again.skipped).toBeUndefined();
  });
});
