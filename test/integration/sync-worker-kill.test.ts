import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/lib/context.ts';
import { singletonMailbox } from '../fixtures/threaded-mailbox.ts';
import { type RequestLog, startRequestLog } from '../support/request-log.ts';
import { type CliRun, runCli, startCli } from '../support/run-cli.ts';
import { connectFake, startTestEnv, type TestEnv } from '../support/test-env.ts';
import { waitFor } from '../support/wait-for.ts';

const OWNER = 'kim@example.com';
// 3,000 messages each in its own thread: six list pages of 500, read a message at a time.
const mailbox = singletonMailbox(OWNER, 3_000);
const PAGES = 6;

describe('a worker process killed (SIGKILL) mid-backfill', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let log: RequestLog;
  let accountId: string;
  let settings: Record<string, string>;
  const workers: CliRun[] = [];

  beforeAll(async () => {
    env = await startTestEnv({ owner: OWNER, messages: mailbox });
    log = await startRequestLog(env.fake.apiUrl);
    settings = {
      ...env.env,
      GMAIL_API_URL: log.url,
      // One list page per chunk job; a dead worker's job is retaken after about 3 s.
      BACKFILL_CHUNK_PAGES: '1',
      SYNC_STALLED_SECONDS: '3',
      // The quota is not what this test is about.
      GMAIL_QUOTA_UNITS_PER_MINUTE: '10000000',
    };
    ctx = env.context();
    accountId = (await connectFake(ctx)).account.id;
  });
  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    await log?.close();
    await env?.close();
  });

  it('resumes in another worker: every message stored once, finished pages not listed again', async () => {
    const first = startCli(['worker'], settings);
    workers.push(first);
    // Kill it in the middle of the third page: listed, a hundred of its messages read, not stored.
    const killedAt = await waitFor(async () => {
      if (log.listPageTokens().length < 3 || log.reads('messages').length < 1100) return null;
      const account = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
      return account.backfillListed;
    }, 'the backfill to get going');
    first.child.kill('SIGKILL');
    expect((await first.exit).signal).toBe('SIGKILL');
    const listedBeforeKill = log.listPageTokens();
    const readsBeforeKill = log.reads('messages').length;
    // The dead worker's account lease lapses by itself, within SYNC_STALLED_SECONDS.
    const lease = await ctx.redis().pttl(`${env.config.QUEUE_PREFIX}:lock:sync:${accountId}`);
    expect(lease).toBeLessThanOrEqual(3000);
    expect(killedAt).toBeGreaterThanOrEqual(1000);
    expect(killedAt).toBeLessThan(mailbox.length);

    // Halfway, touchbase accounts says how far the backfill is (too early to tell the time left).
    const stopped = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    const [midway] = JSON.parse((await runCli(['accounts', '--json'], settings)).stdout) as unknown[];
    expect(midway).toMatchObject({
      backfill: `${Math.floor((stopped.backfillListed / (stopped.backfillTotal ?? 0)) * 100)}%`,
      backfillSecondsLeft: null,
    });

    const second = startCli(['worker'], settings);
    workers.push(second);
    const sync = await runCli(['sync', '--wait', '--timeout', '60'], settings);
    expect(sync.stderr).toBe('');
    expect(sync.code).toBe(0);
    expect(sync.stdout).toMatch(/synced/);
    // Plain progress lines (not a terminal) from the chunk jobs of the chain.
    expect(sync.stdout).toMatch(/kim@example\.com: backfill \d+\/~3000 messages/);

    // Every message once, none missing.
    const rows = await ctx.prisma.interaction.findMany({ select: { providerMessageId: true } });
    expect(rows.map((r) => r.providerMessageId).sort()).toEqual(mailbox.map((m) => m.id).sort());
    const account = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    expect(account.backfillDoneAt).not.toBeNull();
    expect(account.backfillState).toBeNull();
    expect(account.backfillChunks).toBeGreaterThanOrEqual(PAGES);

    // Pages listed before the kill are not listed again, except the one in flight.
    const all = log.listPageTokens();
    const after = all.slice(listedBeforeKill.length);
    const again = after.filter((token) => listedBeforeKill.includes(token));
    expect(again).toEqual([listedBeforeKill.at(-1)]);
    expect(new Set(all).size).toBe(PAGES);
    expect(all.length).toBeLessThanOrEqual(PAGES + 1);
    // And only the in-flight page's messages may have been read twice.
    const reads = log.reads('messages');
    expect(readsBeforeKill).toBeGreaterThanOrEqual(1000);
    const readTwice = reads.length - new Set(reads).size;
    expect(readTwice).toBeGreaterThan(0);
    expect(readTwice).toBeLessThanOrEqual(500);
    expect(new Set(reads).size).toBe(mailbox.length);

    second.child.kill('SIGTERM');
    expect((await second.exit).code).toBe(0);
  }, 240_000);
});
