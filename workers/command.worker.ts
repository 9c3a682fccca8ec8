import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { providerForAccount } from '../src/accounts/account-provider.ts';
import { applyDigestReply, type ReplyOutcome } from '../src/commands/apply-digest-reply.ts';
import type { AppContext } from '../src/lib/context.ts';
import { type CommandJob, commandJobSchema, QUEUE_NAMES } from '../src/queues/queues.ts';
import { logFailures } from './log-failures.ts';

/** Wiring only: read the reply through its provider and apply it once. */
export function createCommandWorker(ctx: AppContext, connection: Redis): Worker<CommandJob, ReplyOutcome> {
  const worker = new Worker<CommandJob, ReplyOutcome>(
    QUEUE_NAMES.command,
    async (job) => {
      const { accountId, candidate } = commandJobSchema.parse(job.data);
      const account = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
      const provider = providerForAccount(ctx, account);
      return applyDigestReply(
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
    },
    { connection, prefix: ctx.config.QUEUE_PREFIX, concurrency: 2 },
  );
  logFailures(worker, ctx.log, 'accountId');
  return worker;
}
