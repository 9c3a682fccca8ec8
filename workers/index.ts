import { Job, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createCommandSigner } from '../src/commands/command-token.ts';
import { queueRepliesAgain, unappliedReplies } from '../src/commands/pending-digest-replies.ts';
import { DAY_MS } from '../src/lib/clock.ts';
import type { AppContext } from '../src/lib/context.ts';
import { AppError } from '../src/lib/errors.ts';
import type { Logger } from '../src/lib/logger.ts';
import { pendingMigrations } from '../src/lib/migrations.ts';
import { AccountStatus, type MailAccount } from '../src/lib/prisma.ts';
import { createRedis, logRedisErrors } from '../src/lib/redis.ts';
import {
  enqueueSync,
  scheduleAccountSync,
  scheduleDigestSweep,
  scheduleUserDigest,
} from '../src/queues/queues.ts';
import { createCommandWorker } from './command.worker.ts';
import { createDigestWorker } from './digest.worker.ts';
import { createSyncWorker } from './sync.worker.ts';

export interface RunningWorkers {
  workers: Worker[];
  /**
   * Stops taking jobs and lets in-flight ones finish. After `graceMs`, or as soon as `hurry`
   * settles (a second SIGTERM), jobs still running are handed back to their queue at once, for
   * this or another worker to run again (every use case is idempotent). Resolves with how many.
   */
  close(graceMs?: number, hurry?: Promise<'signal' | 'timeout'>): Promise<{ returned: number }>;
}

/** Every worker of touchbase in this process. Any number of such processes share the queues. */
export async function startWorkers(ctx: AppContext): Promise<RunningWorkers> {
  await refusePendingMigrations(ctx.config.DATABASE_URL);
  await reconcileSchedules(ctx, {
    redisWasEmpty: (await ctx.redis().exists(schedulesMarker(ctx))) === 0,
  });
  const connection = createRedis(ctx.config.REDIS_URL, { forWorker: true });
  logRedisErrors(connection, ctx.log, 'worker');
  const workers: Worker[] = [
    createSyncWorker(ctx, connection),
    createDigestWorker(ctx, connection),
    createCommandWorker(ctx, connection),
  ];
  for (const worker of workers) logRedisErrors(worker, ctx.log, `${worker.name} worker`);
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  const watch = watchSchedules(ctx);
  ctx.log.info({ event: 'worker.started', queues: workers.map((w) => w.name) }, 'workers started');
  return {
    workers,
    async close(graceMs = 30_000, hurry) {
      watch.stop();
      const graceful = Promise.all(workers.map((w) => w.close())).then(() => 'done' as const);
      // After a forced stop this may settle late, with the connection gone: never unhandled.
      graceful.catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), graceMs);
      });
      const outcome = await Promise.race([
        graceful,
        timeout,
        ...(hurry
          ? [hurry.then((why) => (why === 'timeout' ? ('timeout' as const) : ('hurry' as const)))]
          : []),
      ]);
      clearTimeout(timer);
      let returned = 0;
      if (outcome !== 'done') {
        // Worker.close() is memoised and would keep waiting for the jobs: hand them back instead,
        // without spending an attempt, before the connection goes.
        returned = await returnOwnJobs(workers, connection, ctx.log);
        for (const worker of workers) worker.cancelAllJobs('touchbase worker shutting down');
        ctx.log.warn(
          { event: 'worker.forced_stop', reason: outcome, returned },
          `in-flight jobs not finished (${outcome === 'hurry' ? 'second signal' : `after ${Math.round(graceMs / 1000)} s`}): ${returned} handed back to the queue`,
        );
      }
      await connection.quit().catch(() => connection.disconnect());
      ctx.log.info({ event: 'worker.stopped', returned }, 'workers stopped');
      return { returned };
    },
  };
}

/**
 * Moves the jobs this process holds (their lock carries one of our workers' tokens, which BullMQ
 * makes `${worker.id}:n`) from active back to waiting. Read from Redis rather than tracked in
 * memory: a job that moved itself to delayed leaves no event to forget it by.
 */
async function returnOwnJobs(workers: Worker[], connection: Redis, log: Logger): Promise<number> {
  let returned = 0;
  for (const worker of workers) {
    const activeIds = await connection.lrange(worker.toKey('active'), 0, -1);
    for (const id of activeIds) {
      const token = await connection.get(`${worker.toKey(id)}:lock`);
      if (!token?.startsWith(`${worker.id}:`)) continue;
      const job = await Job.fromId(worker, id);
      try {
        await job?.moveToWait(token);
        returned++;
      } catch (error) {
        // Its lock lapses instead, and BullMQ's stalled-job check requeues it.
        log.warn(
          { event: 'worker.return_failed', queue: worker.name, jobId: id, err: String(error) },
          'job not handed back',
        );
      }
    }
  }
  return returned;
}

export async function refusePendingMigrations(databaseUrl: string): Promise<void> {
  const pending = await pendingMigrations(databaseUrl);
  if (pending.length > 0) {
    throw new AppError(
      'MIGRATIONS_PENDING',
      `the database has ${pending.length} pending migration(s) (${pending.join(', ')}): run \`touchbase migrate\` first`,
    );
  }
}

/**
 * Schedules live in Redis; the truth lives in Postgres. Re-declaring them (idempotent) at start-up
 * and whenever Redis has lost them means a Redis flush or a new Redis never silently stops syncs or
 * digests. A backfill carries itself on from chunk to chunk by a job in Redis, so every unfinished
 * one is asked to go on too: a sync job finds the chain's next chunk if it is there and leaves
 * the work to it. A Redis that was empty (`redisWasEmpty`: no marker) also lost the command jobs
 * of digest replies not yet applied: they are queued again (requeueDigestReplies). The marker
 * set last says this Redis has all of it.
 */
async function reconcileSchedules(ctx: AppContext, options: { redisWasEmpty: boolean }): Promise<void> {
  const queues = ctx.queues();
  const accounts = await ctx.prisma.mailAccount.findMany({ where: { status: AccountStatus.ACTIVE } });
  for (const account of accounts) {
    await scheduleAccountSync(queues, account.id, ctx.config.SYNC_INTERVAL_MINUTES);
    if (account.backfillState !== null) await enqueueSync(queues, account.id, 'schedule');
  }
  const users = await ctx.prisma.user.findMany();
  for (const user of users) await scheduleUserDigest(queues, user);
  await scheduleDigestSweep(queues);
  if (options.redisWasEmpty) await requeueDigestReplies(ctx, accounts);
  await ctx.redis().set(schedulesMarker(ctx), new Date().toISOString());
}

/**
 * Redis was empty, so the command jobs of digest replies not yet applied went with it: every one
 * Postgres knows of (unappliedReplies: the pending rows, and replies in the last
 * REPLY_RECHECK_DAYS of stored mail) is queued again.
 */
async function requeueDigestReplies(ctx: AppContext, accounts: readonly MailAccount[]): Promise<void> {
  const since = new Date(ctx.clock.now().getTime() - REPLY_RECHECK_DAYS * DAY_MS);
  const signer = createCommandSigner(ctx.config.TOUCHBASE_SECRET);
  const { jobs, unreadable } = await unappliedReplies(ctx.prisma, accounts, since, signer);
  const requeued = await queueRepliesAgain(ctx.prisma, ctx.queues(), jobs);
  if (requeued > 0)
    ctx.log.info(
      { event: 'worker.replies_requeued', requeued },
      'digest replies not yet applied were queued again',
    );
  if (unreadable > 0)
    ctx.log.warn(
      { event: 'worker.replies_unreadable', unreadable },
      'pending digest replies this version cannot read were left in pending_digest_replies',
    );
}

/** Two weekly digests: stored mail older than that is not searched for replies again. */
const REPLY_RECHECK_DAYS = 14;

function schedulesMarker(ctx: AppContext): string {
  return `${ctx.config.QUEUE_PREFIX}:schedules-declared`;
}

/**
 * Redis can come back empty while the workers run: restarted without its append-only file,
 * failed over to a fresh replica, flushed. Every job and schedule is gone then, and without this
 * nothing would sync again until a worker restarted. Every SCHEDULE_CHECK_SECONDS each worker
 * process looks for the marker reconcileSchedules sets; when it is gone, it declares everything
 * again (several workers doing so at once add nothing: schedules are upserted, sync jobs
 * deduplicated). While Redis is unreachable the check fails and is tried at the next tick.
 */
function watchSchedules(ctx: AppContext): { stop(): void } {
  let checking = false;
  const check = async () => {
    if (checking) return;
    checking = true;
    try {
      if ((await ctx.redis().exists(schedulesMarker(ctx))) === 1) return;
      ctx.log.warn(
        { event: 'worker.schedules_lost' },
        'Redis holds no schedules (it restarted empty or was flushed): declaring them again from the database, and resuming unfinished backfills',
      );
      await reconcileSchedules(ctx, { redisWasEmpty: true });
    } catch (error) {
      ctx.log.debug({ event: 'worker.schedules_check_failed', err: String(error) }, 'schedule check failed');
    } finally {
      checking = false;
    }
  };
  const timer = setInterval(() => void check(), ctx.config.SCHEDULE_CHECK_SECONDS * 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
