import type { Worker } from 'bullmq';
import type { AppContext } from '../src/lib/context.ts';
import { AppError } from '../src/lib/errors.ts';
import { pendingMigrations } from '../src/lib/migrations.ts';
import { AccountStatus } from '../src/lib/prisma.ts';
import { createRedis } from '../src/lib/redis.ts';
import { scheduleAccountSync, scheduleDigestSweep, scheduleUserDigest } from '../src/queues/queues.ts';
import { createCommandWorker } from './command.worker.ts';
import { createDigestWorker } from './digest.worker.ts';
import { createSyncWorker } from './sync.worker.ts';

export interface RunningWorkers {
  workers: Worker[];
  /** Stops taking jobs, lets in-flight ones finish (or hands them back after `graceMs`), disconnects. */
  close(graceMs?: number): Promise<void>;
}

/** Every worker of touchbase in this process. Any number of such processes share the queues. */
export async function startWorkers(ctx: AppContext): Promise<RunningWorkers> {
  await refusePendingMigrations(ctx.config.DATABASE_URL);
  await reconcileSchedules(ctx);
  const connection = createRedis(ctx.config.REDIS_URL, { forWorker: true });
  const workers: Worker[] = [
    createSyncWorker(ctx, connection),
    createDigestWorker(ctx, connection),
    createCommandWorker(ctx, connection),
  ];
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  ctx.log.info({ event: 'worker.started', queues: workers.map((w) => w.name) }, 'workers started');
  return {
    workers,
    async close(graceMs = 30_000) {
      const graceful = Promise.all(workers.map((w) => w.close()));
      const timeout = new Promise<'timeout'>((resolve) =>
        setTimeout(() => resolve('timeout'), graceMs).unref(),
      );
      if ((await Promise.race([graceful, timeout])) === 'timeout') {
        // Jobs still running go back to the queue (their lock lapses) and resume elsewhere.
        await Promise.all(workers.map((w) => w.close(true)));
      }
      await connection.quit().catch(() => connection.disconnect());
      ctx.log.info({ event: 'worker.stopped' }, 'workers stopped');
    },
  };
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
 * Schedules live in Redis; the truth lives in Postgres. Re-declaring them at start-up (idempotent)
 * means a Redis flush or a new Redis never silently stops syncs or digests.
 */
async function reconcileSchedules(ctx: AppContext): Promise<void> {
  const queues = ctx.queues();
  const accounts = await ctx.prisma.mailAccount.findMany({ where: { status: AccountStatus.ACTIVE } });
  for (const account of accounts)
    await scheduleAccountSync(queues, account.id, ctx.config.SYNC_INTERVAL_MINUTES);
  const users = await ctx.prisma.user.findMany();
  for (const user of users) await scheduleUserDigest(queues, user);
  await scheduleDigestSweep(queues);
}
