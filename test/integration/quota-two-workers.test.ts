import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.ts';
import { type AppContext, createContext } from '../../src/lib/context.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { generateSecret } from '../../src/lib/token-cipher.ts';
import { connectAccount } from '../../src/oauth/connect-account.ts';
import { syntheticMailbox } from '../bench/synthetic-mailbox.ts';
import { type FakeGmail, type FakeGmailMessage, startFakeGmail } from '../fakes/gmail/fake-gmail.ts';
import { actLikeBrowser } from '../support/act-like-browser.ts';
import { startSupportProcess } from '../support/support-process.ts';
import { createTestDatabase, testRedisPrefix, testRedisUrl } from '../support/test-database.ts';

/**
 * The per-user budget of this test: legacy prices, raised (as for a project with more quota) so
 * that two busy processes need more than a minute (the thread plan makes the backfill cheap), and
 * the sliding window really slides.
 */
const BUDGET = 14_000;
const MESSAGES = 3_000;

describe('two worker processes syncing one mailbox against the quota-enforcing fake', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let fake: FakeGmail;
  let ctx: AppContext;
  let env: Record<string, string>;
  let messages: FakeGmailMessage[];

  beforeAll(async () => {
    db = await createTestDatabase();
    messages = [...syntheticMailbox({ messages: MESSAGES, seed: 11, now: Date.now() }).threads()].flat();
    fake = await startFakeGmail({
      email: 'bench.owner@gmail.com',
      clientId: 'touchbase-test',
      clientSecret: 'test-secret',
      messages,
      quota: { regime: 'legacy', unitsPerMinute: BUDGET },
      latency: { fixedMs: 15, jitterMs: 20 },
      maxConcurrentRequests: 50,
    });
    env = {
      DATABASE_URL: db.url,
      REDIS_URL: testRedisUrl(),
      TOUCHBASE_SECRET: generateSecret(),
      GOOGLE_CLIENT_ID: 'touchbase-test',
      GOOGLE_CLIENT_SECRET: 'test-secret',
      GOOGLE_AUTH_URL: fake.authUrl,
      GOOGLE_TOKEN_URL: fake.tokenUrl,
      GMAIL_API_URL: fake.apiUrl,
      GMAIL_QUOTA_REGIME: 'legacy',
      GMAIL_QUOTA_UNITS_PER_MINUTE: String(BUDGET),
      QUEUE_PREFIX: testRedisPrefix(),
      LOG_LEVEL: 'warn',
    };
    ctx = createContext(parseConfig(env), { log: createLogger('silent') });
  });
  afterAll(async () => {
    if (ctx) {
      const queues = ctx.queues();
      await Promise.all([queues.sync.obliterate({ force: true }), queues.digest.obliterate({ force: true })]);
      await ctx.close();
    }
    await fake?.close();
    await db?.drop();
  });

  it('stays within the budget together, never rate-limited, and syncs every message once', async () => {
    const { account } = await connectAccount(ctx, 'gmail', {
      onAuthorizeUrl: (url) => actLikeBrowser(url).then(() => undefined),
    });
    // Both processes backfill the whole mailbox at once: together they ask for twice the quota
    // the backfill needs, so only a budget they share keeps them under Google's limit.
    const results = await Promise.all([syncProcess(account.id, env), syncProcess(account.id, env)]);

    for (const result of results) expect(result.code, result.stderr).toBe(0);
    const q = fake.stats.quota;
    expect(q.rejected).toEqual({ userRateLimit: 0, concurrency: 0 });
    expect(q.peakWindowUnits).toBeLessThanOrEqual(BUDGET);
    // More than a minute's budget was spent, so the limit was binding and the window slid.
    expect(q.unitsTotal).toBeGreaterThan(BUDGET * 1.2);
    const stored = await ctx.prisma.interaction.count({ where: { accountId: account.id } });
    expect(stored).toBe(messages.length);
    const distinct = await ctx.prisma.interaction.groupBy({
      by: ['providerMessageId'],
      where: { accountId: account.id },
    });
    expect(distinct).toHaveLength(messages.length);
    const saved = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: account.id } });
    expect(saved.backfillDoneAt).not.toBeNull();
    expect(saved.lastSyncError).toBeNull();
    // Every request was also spent from the project's budget (GMAIL_PROJECT_UNITS_PER_MINUTE),
    // which all the deployment's mailboxes share.
    const project = await ctx.redis().hmget(`${env.QUEUE_PREFIX}:quota:gmail-project:bucket`, 'tokens', 'ts');
    expect(project.every((field) => field !== null)).toBe(true);
  }, 300_000);
});

/** test/support/sync-process.ts in a Node process of its own, as a second worker would be. */
function syncProcess(accountId: string, env: Record<string, string>) {
  return startSupportProcess('sync-process.ts', [accountId], env).exited;
}
