import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppContext, createContext } from '../../src/lib/context.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { singletonMailbox } from '../fixtures/threaded-mailbox.ts';
import { type RequestLog, startRequestLog } from '../support/request-log.ts';
import { connectFake, startTestEnv, syncOnce, type TestEnv } from '../support/test-env.ts';

const OWNER = 'ash@example.com';
const mailbox = singletonMailbox(OWNER, 60);

describe('Gmail requests that never get an answer', () => {
  let env: TestEnv;
  let log: RequestLog;
  let ctx: AppContext;

  beforeAll(async () => {
    env = await startTestEnv({
      owner: OWNER,
      messages: mailbox,
      settings: { PROVIDER_TIMEOUT_SECONDS: '1', PROVIDER_RETRY_BASE_MS: '10' },
    });
    log = await startRequestLog(env.fake.apiUrl);
    ctx = createContext({ ...env.config, GMAIL_API_URL: log.url }, { log: createLogger('silent') });
  });
  afterAll(async () => {
    await ctx?.close();
    await log?.close();
    await env?.close();
  });

  it('are abandoned after the timeout and tried again with backoff; the sync completes', async () => {
    const { account } = await connectFake(ctx);
    log.stall(/\/messages\?/, 1);
    log.stall(/\/messages\/[0-9a-f]+\?/, 3);
    const result = await syncOnce(ctx, account.id);

    expect(result.stored).toBe(mailbox.length);
    const rows = await ctx.prisma.interaction.findMany({ select: { providerMessageId: true } });
    expect(rows.map((r) => r.providerMessageId).sort()).toEqual(mailbox.map((m) => m.id).sort());
    // The unanswered list and reads were asked again, and nothing else was.
    expect(log.listPageTokens()).toEqual(['', '']);
    const reads = log.reads('messages');
    expect(reads).toHaveLength(mailbox.length + 3);
    expect(new Set(reads).size).toBe(mailbox.length);
  });
});
