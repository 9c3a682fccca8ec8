import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { providerForAccount } from '../src/accounts/account-provider.ts';
import { applyDigestReply, type ReplyOutcome } from '../src/commands/apply-digest-reply.ts';
import { clearPendingReply } from '../src/commands/pending-digest-replies.ts';
import type { AppContext } from '../src/lib/context.ts';
import { type CommandJob, commandJobSchema, QUEUE_NAMES } from '../src/queues/queues.ts';
import { logFailures } from './log-failures.ts';

/**
 * Wiring only: read the reply through its provider and apply it once; then it is no longer
 * pending (a job that fails every attempt stays pending, and is queued again if Redis loses it).
 */
export function createCommandWorker(ctx: AppContext, connection: Redis): Worker<CommandJob, ReplyOutcome> {
  const worker = new Worker<CommandJob, ReplyOutcome>(
    QUEUE_NAMES.command,
    async (job) => {
      const data = commandJobSchema.parse(job.data);
      const { accountId, candidate } = data;
      const account = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
      const provider = providerForAccount(ctx, account);
      const outcome = await applyDigestReply(
        {
          prisma: ctx.prisma,
          config: ctx.config,
          now: ctx.clock.now(),
          log: ctx.log.child({ queue: QUEUE_NAMES.command, jobId: job.id, accountId }),
          fetchBody: provider.canReadBodies ? (id) => provider.fetchReplyText(id) : null,
        },
        accountId,
        candidate,
      );
      await clearPendingReply(ctx.prisma, data);
      return outcome;
    },
    { connection, prefix: ctx.config.QUEUE_PREFIX, concurrency: 2 },
  );
  logFailures(worker, ctx.log, 'accountId');
  return worker;
}
