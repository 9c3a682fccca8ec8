import { DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { providerForAccount } from '../src/accounts/account-provider.ts';
import { markNeedsReconnect } from '../src/accounts/account-store.ts';
import { type CommandSigner, createCommandSigner } from '../src/commands/command-token.ts';
import { findAccountDigestReplies } from '../src/commands/find-account-digest-replies.ts';
import { recordPendingReplies } from '../src/commands/pending-digest-replies.ts';
import type { AppContext } from '../src/lib/context.ts';
import { AccountStatus } from '../src/lib/prisma.ts';
import { tryLock } from '../src/lib/redis-lock.ts';
import type { MessageMeta } from '../src/providers/types.ts';
import {
  backfillChunkJobId,
  enqueueBackfillChunk,
  enqueueCommand,
  isJobPending,
  QUEUE_NAMES,
  type SyncJob,
  syncJobSchema,
  unscheduleAccountSync,
} from '../src/queues/queues.ts';
import { backfillChunk } from '../src/sync/backfill-chunk.ts';
import { emptySyncResult, type SyncResult, syncAccount } from '../src/sync/sync-account.ts';
import { decideSyncError, syncRetryDelay } from '../src/sync/sync-error-policy.ts';
import { logFailures } from './log-failures.ts';
import { runAgainWithNewGrant } from './run-with-new-grant.ts';

/** What a sync job returns: the run's figures, and the job that goes on with the backfill. */
export type SyncJobResult = SyncResult & { continuedBy: string | null };

/**
 * Wiring only: parse the payload, build the provider, run the sync use case, apply the policy.
 * A backfill runs as a chain of bounded jobs (one chunk each, progress in Postgres); each one
 * enqueues the next under an id fixed by the chunk number, so retries never fork the chain.
 */
export function createSyncWorker(
  ctx: AppContext,
  connection: Redis,
  concurrency = 4,
): Worker<SyncJob, SyncJobResult> {
  // A killed worker's job is taken over after about this long; its account lease lapses first.
  const stalledMs = ctx.config.SYNC_STALLED_SECONDS * 1000;
  const worker = new Worker<SyncJob, SyncJobResult>(
    QUEUE_NAMES.sync,
    async (job, token, signal) => {
      const { accountId } = syncJobSchema.parse(job.data);
      // While a backfill chain runs, any other sync of the account is that chain: hand over to it
      // rather than wait for the lease, which the chain holds almost all the time.
      const chain = await liveChain(accountId, job.id);
      if (chain) return { ...emptySyncResult(chain.chunks), continues: true, continuedBy: chain.jobId };
      // One sync per account at a time across every worker process; a second one waits its turn.
      const lock = await tryLock(connection, `${ctx.config.QUEUE_PREFIX}:lock:sync:${accountId}`, stalledMs);
      if (!lock) {
        await job.moveToDelayed(Date.now() + 5_000, token);
        throw new DelayedError();
      }
      // A forced shutdown hands the job back: free the account for whichever worker takes it next.
      signal?.addEventListener('abort', () => void lock.release().catch(() => undefined), { once: true });
      let result: SyncJobResult;
      try {
        result = await runSync(job, token, accountId);
      } finally {
        await lock.release();
      }
      // After the lease is free, so the next chunk can start at once on any worker. Killed before
      // this line, the job is retaken (stalled), finds no live chain and carries it on itself.
      if (result.continuedBy) await enqueueBackfillChunk(ctx.queues(), accountId, result.chunks);
      return result;
    },
    {
      connection,
      prefix: ctx.config.QUEUE_PREFIX,
      concurrency,
      lockDuration: stalledMs,
      stalledInterval: stalledMs,
      // A long backfill may outlive a couple of crashed workers; its progress is in Postgres.
      maxStalledCount: 3,
      settings: {
        // The sync queue's SYNC_BACKOFF (BullMQ asks the worker that failed the job): exponential,
        // and never sooner than the provider's Retry-After.
        backoffStrategy: (attemptsMade, _type, error, job) => {
          const backoff = job?.opts.backoff;
          const baseMs =
            typeof backoff === 'object' && backoff.delay !== undefined
              ? backoff.delay
              : ctx.config.SYNC_RETRY_BASE_SECONDS * 1000;
          return syncRetryDelay(attemptsMade, error, baseMs);
        },
      },
    },
  );

  const signer = createCommandSigner(ctx.config.TOUCHBASE_SECRET);

  /**
   * The job of the account's backfill chunk to come, when it waits or runs (and is not this job).
   * A chain whose job failed for good or vanished with Redis is not live: this job carries it on.
   */
  async function liveChain(accountId: string, jobId: string | undefined) {
    const account = await ctx.prisma.mailAccount.findUnique({ where: { id: accountId } });
    if (!account || account.backfillState === null || account.status !== AccountStatus.ACTIVE) return null;
    const current = backfillChunkJobId(accountId, account.backfillChunks);
    if (jobId === current || !(await isJobPending(ctx.queues(), current))) return null;
    return { jobId: current, chunks: account.backfillChunks };
  }

  async function runSync(
    job: Job<SyncJob>,
    token: string | undefined,
    accountId: string,
  ): Promise<SyncJobResult> {
    const log = ctx.log.child({ queue: QUEUE_NAMES.sync, jobId: job.id, accountId });
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
          chunk: backfillChunk(ctx.config, provider),
          onProgress: (progress) => job.updateProgress({ ...progress, accountId }),
          onMessages: (messages) =>
            queueDigestReplies(ctx, { userId: account.userId, accountId }, messages, signer),
        },
        accountId,
      );
      log.info({ event: result.continues ? 'sync.chunk' : 'sync.done', ...result }, 'sync run finished');
      return {
        ...result,
        continuedBy: result.continues ? backfillChunkJobId(accountId, result.chunks) : null,
      };
    } catch (error) {
      const decision = decideSyncError(error);
      if (decision.action === 'reconnect') {
        const reason = decision.reason;
        if (await markNeedsReconnect(ctx.prisma, account, reason, { lastSyncError: reason })) {
          await unscheduleAccountSync(ctx.queues(), accountId);
          throw new UnrecoverableError(reason);
        }
        // Connected again while this run failed on the old grant: the new one may well work.
        log.info({ event: 'sync.grant_replaced' }, 'the grant this run used was replaced: it runs again');
        return runAgainWithNewGrant(job, token);
      }
      await ctx.prisma.mailAccount.update({
        where: { id: accountId },
        data: { lastSyncError: decision.reason },
      });
      if (decision.action === 'retry') throw error;
      throw new UnrecoverableError(decision.reason);
    }
  }
  logFailures(worker, ctx.log, 'accountId');
  return worker;
}

/**
 * What sync does with each page's messages: the replies to a digest among them become command
 * jobs (one per message, however often it is seen; a command applies once). Each is kept in
 * Postgres first (pending_digest_replies) until its job has run, so a Redis that comes back empty
 * loses none of them.
 */
export async function queueDigestReplies(
  ctx: AppContext,
  owner: { userId: string; accountId: string },
  messages: MessageMeta[],
  signer: CommandSigner,
): Promise<void> {
  const found = await findAccountDigestReplies(ctx.prisma, owner, messages, signer);
  const jobs = await recordPendingReplies(
    ctx.prisma,
    found.map((candidate) => ({ accountId: owner.accountId, candidate })),
  );
  for (const job of jobs) await enqueueCommand(ctx.queues(), job);
}
