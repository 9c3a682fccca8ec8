import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { providerForAccount } from '../../src/accounts/account-provider.ts';
import { type Config, parseConfig } from '../../src/config/config.ts';
import type { Clock } from '../../src/lib/clock.ts';
import { type AppContext, createContext } from '../../src/lib/context.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { generateSecret } from '../../src/lib/token-cipher.ts';
import { connectAccount } from '../../src/oauth/connect-account.ts';
import type { MessageMeta } from '../../src/providers/types.ts';
import { syncAccount } from '../../src/sync/sync-account.ts';
import {
  type FakeGmail,
  type FakeGmailMessage,
  type FakeGmailOptions,
  startFakeGmail,
} from '../fakes/gmail/fake-gmail.ts';
import { actLikeBrowser } from './act-like-browser.ts';
import { createTestDatabase, testRedisPrefix, testRedisUrl } from './test-database.ts';

export const TEST_CLIENT = { id: 'touchbase-test', secret: 'test-secret' } as const;

export interface TestEnv {
  db: Awaited<ReturnType<typeof createTestDatabase>>;
  fake: FakeGmail;
  config: Config;
  /** The same settings as environment variables, for running the CLI as a subprocess. */
  env: Record<string, string>;
  outbox: string;
  context(options?: { clock?: Clock }): AppContext;
  close(): Promise<void>;
}

/** A database, a queue prefix, an outbox and a fake Gmail of the test's own. */
export async function startTestEnv(options: {
  owner: string;
  messages?: FakeGmailMessage[];
  sendAs?: { sendAsEmail: string; displayName?: string; isPrimary?: boolean }[];
  settings?: Record<string, string>;
  /** More of the fake's behaviour: limits, latency, the request log. */
  fake?: Omit<FakeGmailOptions, 'email' | 'clientId' | 'clientSecret' | 'messages' | 'sendAs'>;
}): Promise<TestEnv> {
  const db = await createTestDatabase();
  const fake = await startFakeGmail({
    email: options.owner,
    clientId: TEST_CLIENT.id,
    clientSecret: TEST_CLIENT.secret,
    messages: options.messages ?? [],
    ...(options.sendAs ? { sendAs: options.sendAs } : {}),
    ...options.fake,
  });
  const outbox = await mkdtemp(join(tmpdir(), 'touchbase-outbox-'));
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    REDIS_URL: testRedisUrl(),
    TOUCHBASE_SECRET: generateSecret(),
    GOOGLE_CLIENT_ID: TEST_CLIENT.id,
    GOOGLE_CLIENT_SECRET: TEST_CLIENT.secret,
    GOOGLE_AUTH_URL: fake.authUrl,
    GOOGLE_TOKEN_URL: fake.tokenUrl,
    GMAIL_API_URL: fake.apiUrl,
    OUTBOX_DIR: outbox,
    QUEUE_PREFIX: testRedisPrefix(),
    LOG_LEVEL: 'warn',
    ...options.settings,
  };
  const config = parseConfig(env);
  const contexts: AppContext[] = [];
  return {
    db,
    fake,
    config,
    env,
    outbox,
    context(contextOptions = {}) {
      const ctx = createContext(config, { log: createLogger('silent'), ...contextOptions });
      contexts.push(ctx);
      return ctx;
    },
    async close() {
      for (const ctx of contexts) {
        const queues = ctx.queues();
        await Promise.all([
          queues.sync.obliterate({ force: true }),
          queues.digest.obliterate({ force: true }),
        ]);
        await ctx.close();
      }
      await fake.close();
      await db.drop();
    },
  };
}

/** Connects the fake's mailbox through the real OAuth flow (the browser simulated). */
export async function connectFake(ctx: AppContext) {
  return connectAccount(ctx, 'gmail', { onAuthorizeUrl: (url) => actLikeBrowser(url).then(() => undefined) });
}

/**
 * Google refuses the account's token on the next two requests matching `path` (the second after
 * the in-request refresh), and the user connects the account again while the first refusal is on
 * its way: work that loaded the old grant fails on it after it was replaced. Returns whether the
 * reconnect happened yet.
 */
export function reconnectDuringRefusal(fake: FakeGmail, ctx: AppContext, path: RegExp): () => boolean {
  let reconnected = false;
  fake.injectFault({
    path,
    status: 401,
    times: 2,
    before: async () => {
      if (reconnected) return;
      reconnected = true;
      await connectFake(ctx);
    },
  });
  return () => reconnected;
}

/**
 * One sync run of the account, in this process, as the sync worker would run it (with a provider
 * of its own, as a job has). `chunk`: stop at the chunk budget (the result then `continues`).
 */
export async function syncOnce(
  ctx: AppContext,
  accountId: string,
  options: {
    onMessages?: (messages: MessageMeta[]) => Promise<void>;
    chunk?: { maxPages: number; maxMs: number };
  } = {},
) {
  return syncAccount(
    {
      prisma: ctx.prisma,
      provider: providerForAccount(
        ctx,
        await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } }),
      ),
      log: ctx.log,
      clock: ctx.clock,
      backfillDays: ctx.config.BACKFILL_DAYS,
      groupSizeLimit: ctx.config.GROUP_SIZE_LIMIT,
      ...options,
    },
    accountId,
  );
}
