import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCommandSigner } from '../../src/commands/command-token.ts';
import { pendingReplies, recordPendingReplies } from '../../src/commands/pending-digest-replies.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import type { AppContext } from '../../src/lib/context.ts';
import { startWorkers } from '../../workers/index.ts';
import { queueDigestReplies } from '../../workers/sync.worker.ts';
import { singletonMailbox } from '../fixtures/threaded-mailbox.ts';
import { type DigestReplyEnv, startDigestReplyEnv } from '../support/digest-reply-env.ts';
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

/**
 * Sync finds a reply to a digest once, when it stores the page; its command job lives in Redis and
 * the reply in pending_digest_replies until the job has run. Redis lost the jobs: the worker that
 * finds Redis empty queues them again, whatever their age and however they named the digest.
 */
describe('digest replies whose command jobs went with Redis', () => {
  const now = new Date('2026-11-23T09:00:00Z');
  let redis: PrivateRedis;
  let replies: DigestReplyEnv;
  let ctx: AppContext;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    replies = await startDigestReplyEnv({ now, settings: { REDIS_URL: redis.url } });
    ctx = replies.ctx;
  });
  afterAll(async () => {
    await replies?.close();
    await redis?.close();
  });

  /** Workers started on a Redis that came back empty, at `at`, until every listed reply is applied. */
  const applyAfterRedisLoss = async (at: Date, ids: string[]) => {
    await redis.restartEmpty();
    expect((await ctx.queues().command.getJobCounts('waiting')).waiting).toBe(0);
    const workers = await startWorkers(replies.env.context({ clock: fixedClock(at) }));
    try {
      await waitFor(
        async () =>
          (await ctx.prisma.digestReply.count({
            where: { providerMessageId: { in: ids }, confirmationMessageId: { not: null } },
          })) === ids.length || null,
        'the lost replies to be applied',
        30_000,
      );
      // The job clears its reply's pending row when it has run.
      await waitFor(
        async () => (await ctx.prisma.pendingDigestReply.count()) === 0 || null,
        'no reply left pending',
      );
    } finally {
      await workers.close(5_000);
    }
  };

  it('are applied once, three weeks later, even one that named the digest only in References', async () => {
    replies.addReply('reply-lost', 'In-Reply-To', 'snooze 3 3w', 1);
    replies.addReply('reply-references', 'References', 'snooze 2 3w', 2);
    const synced = await replies.syncAndQueue();
    expect((await ctx.queues().command.getJobCounts('waiting')).waiting).toBe(2);
    const pending = await ctx.prisma.pendingDigestReply.findMany({ orderBy: { providerMessageId: 'asc' } });
    expect(pending.map((row) => row.providerMessageId)).toEqual(['reply-lost', 'reply-references']);

    // Three weeks on: older than the stored mail searched again, and the References header is
    // not stored at all. Only the pending rows remember these two.
    const later = new Date(now.getTime() + 21 * 86_400_000);
    await applyAfterRedisLoss(later, ['reply-lost', 'reply-references']);
    for (const n of [2, 3])
      expect((await replies.snoozedUntil(n))?.getTime()).toBeGreaterThan(later.getTime());
    expect(await ctx.prisma.digestReply.count()).toBe(2);

    // The same pages seen again (a full resync after Gmail's history expired): the replies are
    // answered, so nothing is pending again.
    await queueDigestReplies(
      ctx,
      replies.owner,
      synced,
      createCommandSigner(replies.env.config.TOUCHBASE_SECRET),
    );
    expect(await ctx.prisma.pendingDigestReply.count()).toBe(0);
  });

  it('finds a reply again in the stored mail when no pending row kept it (found before the table existed)', async () => {
    replies.addReply('reply-unrecorded', 'In-Reply-To', 'snooze 1 3w', 3);
    await replies.syncAndQueue();
    await ctx.prisma.pendingDigestReply.deleteMany();
    await applyAfterRedisLoss(new Date(now.getTime() + 86_400_000), ['reply-unrecorded']);
    expect((await replies.snoozedUntil(1))?.getTime()).toBeGreaterThan(now.getTime() + 20 * 86_400_000);
    expect(await ctx.prisma.digestReply.count()).toBe(3);
  });

  it('queues the pending replies it can read, and leaves and counts one it cannot', async () => {
    const readable = replies.pendingJob('reply-readable');
    const { accountId } = replies.owner;
    await recordPendingReplies(ctx.prisma, [readable]);
    await ctx.prisma.pendingDigestReply.create({
      data: { accountId, providerMessageId: 'reply-garbled', candidate: { subject: 7 } },
    });
    const { jobs, unreadable } = await pendingReplies(ctx.prisma, [accountId]);
    expect(jobs).toEqual([readable]);
    expect(unreadable).toBe(1);
    expect(await ctx.prisma.pendingDigestReply.count()).toBe(2);
  });
});
