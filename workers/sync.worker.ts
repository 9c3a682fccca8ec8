import { DelayedError, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { providerForAccount } from '../src/accounts/account-provider.ts';
import { createCommandSigner } from '../src/commands/command-token.ts';
import { findAccountDigestReplies } from '../src/commands/find-account-digest-replies.ts';
import type { AppContext } from '../src/lib/context.ts';
import { AccountStatus } from '../src/lib/prisma.ts';
import { tryLock } from '../src/lib/redis-lock.ts';
import {
  enqueueCommand,
  QUEUE_NAMES,
  type SyncJob,
  syncJobSchema,
  unscheduleAccountSync,
} from '../src/queues/queues.ts';
import { type SyncProgress, type SyncResult, syncAccount } from '../src/sync/sync-account.ts';
import { decideSyncError } from '../src/sync/sync-error-policy.ts';
import { logFailures } from './log-failures.ts';

/** Wiring only: parse the payload, build the provider, run the sync use case, apply the policy. */
export function createSyncWorker(
  ctx: AppContext,
  connection: Redis,
  concurrency = 4,
): Worker<SyncJob, SyncResult> {
  const worker = new Worker<SyncJob, SyncResult>(
    QUEUE_NAMES.sync,
    async (job, token, signal) => {
      const { accountId } = syncJobSchema.parse(job.data);
      // One sync per account at a time across every worker process; a second one waits its turn.
      const lock = await tryLock(connection, `${ctx.config.QUEUE_PREFIX}:lock:sync:${accountId}`);
      if (!lock) {
        await job.moveToDelayed(Date.now() + 5_000, token);
        throw new DelayedError();
      }
      // A forced shutdown hands the job back: free the account for whichever worker takes it next.
      signal?.addEventListener('abort', () => void lock.release().catch(() => undefined), { once: true });
      try {
        return await runSync(job.id, accountId, (progress) => job.updateProgress(progress));
      } finally {
        await lock.release();
      }
    },
    { connection, prefix: ctx.config.QUEUE_PREFIX, concurrency },
  );

  const signer = createCommandSigner(ctx.config.TOUCHBASE_SECRET);

  async function runSync(
    jobId: string | undefined,
    accountId: string,
    onProgress: (progress: SyncProgress) => Promise<void>,
  ): Promise<SyncResult> {
    const log = ctx.log.child({ queue: QUEUE_NAMES.sync, jobId, accountId });
    const account = await ctx.prisma.mailAccount.findUnique({ where: { id: accountId } });
    if (!account) {
      await unscheduleAccountSync(ctx.queues(), accountId);
      throw new UnrecoverableError('the account no longer exists');
    }
    const provider = providerForAccount(ctx, account);
    try {
      const result = await syncAccount(
        {
          prisma: ctx.prisma,
          provider,
          log,
          clock: ctx.clock,
          backfillDays: ctx.config.BACKFILL_DAYS,
          groupSizeLimit: ctx.config.GROUP_SIZE_LIMIT,
          onProgress,
          onMessages: async (messages) => {
            const owner = { userId: account.userId, accountId };
            for (const candidate of await findAccountDigestReplies(ctx.prisma, owner, messages, signer)) {
              await enqueueCommand(ctx.queues(), { accountId, candidate });
            }
          },
        },
        accountId,
      );
      log.info({ event: 'sync.done', ...result }, 'sync finished');
      return result;
    } catch (error) {
      const decision = decideSyncError(error);
      await ctx.prisma.mailAccount.update({
        where: { id: accountId },
        data:
          decision.action === 'reconnect'
            ? {
                status: AccountStatus.NEEDS_RECONNECT,
                statusReason: decision.reason,
                lastSyncError: decision.reason,
              }
            : { lastSyncError: decision.reason },
      });
      if (decision.action === 'retry') throw error;
      if (decision.action === 'reconnect') await unscheduleAccountSync(ctx.queues(), accountId);
      throw new UnrecoverableError(decision.reason);
    }
  }
  logFailures(worker, ctx.log, 'accountId');
  return worker;
}
