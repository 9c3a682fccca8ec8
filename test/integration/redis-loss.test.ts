import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/lib/context.ts';
import { singletonMailbox } from '../fixtures/threaded-mailbox.ts';
import { type PrivateRedis, startPrivateRedis } from '../support/private-redis.ts';
import { type CliRun, startCli } from '../support/run-cli.ts';
import { connectFake, startTestEnv, type TestEnv } from '../support/test-env.ts';
import { waitFor } from '../support/wait-for.ts';

const OWNER = 'lee@example.com';
// 3,000 messages each in its own thread: six list pages of 500, one chunk job each.
const mailbox = singletonMailbox(OWNER, 3_000);

/**
 * Redis comes back empty while a worker runs (a restart without its append-only file, a failover
 * to a fresh replica): every job and schedule is gone, and nothing may be lost for it.
 */
describe('Redis lost and back empty in the middle of a backfill', () => {
  let redis: PrivateRedis;
  let env: TestEnv;
  let ctx: AppContext;
  let worker: CliRun;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    env = await startTestEnv({
      owner: OWNER,
      messages: mailbox,
      settings: {
        REDIS_URL: redis.url,
        BACKFILL_CHUNK_PAGES: '1',
        SYNC_STALLED_SECONDS: '3',
        SCHEDULE_CHECK_SECONDS: '1',
        // The quota is not what this test is about.
        GMAIL_QUOTA_UNITS_PER_MINUTE: '10000000',
      },
    });
    ctx = env.context();
  });
  afterAll(async () => {
    if (worker && worker.child.exitCode === null) worker.child.kill('SIGKILL');
    await env?.close();
    await redis?.close();
  });

  it('finishes the backfill with every message once, and declares the schedules again', async () => {
    const { account, user } = await connectFake(ctx);
    worker = startCli(['worker'], env.env);
    const listedAtLoss = await waitFor(async () => {
      const { backfillListed } = await ctx.prisma.mailAccount.findUniqueOrThrow({
        where: { id: account.id },
      });
      return backfillListed >= 1000 ? backfillListed : null;
    }, 'the backfill to get going');
    // Away for two seconds: every connection fails and retries meanwhile.
    await redis.restartEmpty(2_000);
    expect(listedAtLoss).toBeLessThan(mailbox.length);

    const done = await waitFor(
      async () =>
        (await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: account.id } })).backfillDoneAt,
      'the backfill to finish after Redis came back',
      60_000,
    );
    expect(done).toBeInstanceOf(Date);
    const rows = await ctx.prisma.interaction.findMany({ select: { providerMessageId: true } });
    expect(rows.map((r) => r.providerMessageId).sort()).toEqual(mailbox.map((m) => m.id).sort());

    // The periodic sync and the weekly digest are scheduled again, in the new Redis.
    const queues = ctx.queues();
    expect(await queues.sync.getJobScheduler(`sync:${account.id}`)).toMatchObject({
      every: expect.any(Number),
    });
    expect(await queues.digest.getJobScheduler(`digest:${user.id}`)).toBeDefined();
    expect(await queues.digest.getJobScheduler('digest-sweep')).toBeDefined();
    expect(worker.child.exitCode).toBeNull();

    // Said once, in the log, not once per failed reconnect on stderr.
    const log = worker.stderr();
    expect(log).not.toMatch(/Unhandled error event/);
    const lines = log.split('\n').filter((line) => line !== '');
    expect(lines.filter((line) => !line.startsWith('{"level"'))).toEqual([]);
    expect(log.match(/"event":"worker\.schedules_lost"/g)).toHaveLength(1);
    // Each connection says it once, however many times it failed to reconnect.
    const sources = log
      .split('\n')
      .filter((line) => line.includes('"event":"redis.error"'))
      .map((line) => (JSON.parse(line) as { source: string }).source);
    expect(sources.length).toBeGreaterThan(0);
    expect(new Set(sources).size).toBe(sources.length);
  });
});
