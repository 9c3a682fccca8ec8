import { UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { providerForAccount } from '../src/accounts/account-provider.ts';
import { holdsSameGrant } from '../src/accounts/account-store.ts';
import { applyDigestReply, type ReplyOutcome } from '../src/commands/apply-digest-reply.ts';
import { clearPendingReply, holdFailedReply } from '../src/commands/pending-digest-replies.ts';
import type { AppContext } from '../src/lib/context.ts';
import { type CommandJob, commandJobSchema, QUEUE_NAMES } from '../src/queues/queues.ts';
import { decideSyncError } from '../src/sync/sync-error-policy.ts';
import { logFailures } from './log-failures.ts';
import { runAgainWithNewGrant } from './run-with-new-grant.ts';

/**
 * Wiring only: read the reply through its provider and apply it once; then it is no longer
 * pending. A round of attempts that all failed leaves it pending, held for the reply sweep to
 * queue again later (holdFailedReply); an error no quick retry can help (a revoked grant, a
 * message gone) ends the round at once, under the same policy as sync.
 */
export function createCommandWorker(ctx: AppContext, connection: Redis): Worker<CommandJob, ReplyOutcome> {
  const worker = new Worker<CommandJob, ReplyOutcome>(
    QUEUE_NAMES.command,
    async (job, token) => {
      const data = commandJobSchema.parse(job.data);
      const { accountId, candidate } = data;
      const log = ctx.log.child({ queue: QUEUE_NAMES.command, jobId: job.id, accountId });
      const account = await ctx.prisma.mailAccount.findUnique({ where: { id: accountId } });
      // Disconnected since: its replies went with it.
      if (!account) throw new UnrecoverableError('the account no longer exists');
      const provider = providerForAccount(ctx, account);
      let outcome: ReplyOutcome;
      try {
        outcome = await applyDigestReply(
          {
            prisma: ctx.prisma,
            config: ctx.config,
            now: ctx.clock.now(),
            log,
            fetchBody: provider.canReadBodies ? (id) => provider.fetchReplyText(id) : null,
          },
          accountId,
          candidate,
        );
      } catch (error) {
        const decision = decideSyncError(error);
        // A revoked grant replaced by a reconnect while this ran: the new one may well work.
        if (decision.action === 'reconnect' && !(await holdsSameGrant(ctx.prisma, account))) {
          log.info(
            { event: 'command.grant_replaced' },
            'the grant this reply used was replaced: it runs again',
          );
          return runAgainWithNewGrant(job, token);
        }
        const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        if (decision.action !== 'retry' || lastAttempt) {
          const held = await holdFailedReply(ctx.prisma, data, ctx.clock.now());
          log.warn(
            {
              event: held?.retryAt ? 'command.reply_held' : 'command.reply_waits',
              failedRounds: held?.failedRounds,
              retryAt: held?.retryAt,
              err: decision.reason,
            },
            held?.retryAt
              ? 'digest reply not applied this round: it is tried again later'
              : 'digest reply not applied after every round: it waits for the account to be connected again',
          );
        }
        if (decision.action !== 'retry') throw new UnrecoverableError(decision.reason);
        throw error;
      }
      await clearPendingReply(ctx.prisma, data);
      return outcome;
    },
    { connection, prefix: ctx.config.QUEUE_PREFIX, concurrency: 2 },
  );
  logFailures(worker, ctx.log, 'accountId');
  return worker;
}
