import { UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { mailboxFinder } from '../src/accounts/account-provider.ts';
import { dueReplies, queueRepliesAgain } from '../src/commands/pending-digest-replies.ts';
import { DigestSendError } from '../src/digest/send-digest.ts';
import { type DigestOutcome, sendWeeklyDigest } from '../src/digest/send-weekly-digest.ts';
import { findDueDigests } from '../src/digest/sweep-due-digests.ts';
import type { AppContext } from '../src/lib/context.ts';
import { type DigestJob, digestJobSchema, enqueueDigest, QUEUE_NAMES } from '../src/queues/queues.ts';

type DigestResult = DigestOutcome | { swept: number; repliesQueued: number };

/**
 * Wiring only: send one user's digest once, or sweep the database for due ones, and for replies
 * to digests due another round of attempts (dueReplies).
 */
export function createDigestWorker(ctx: AppContext, connection: Redis): Worker<DigestJob, DigestResult> {
  const worker = new Worker<DigestJob, DigestResult>(
    QUEUE_NAMES.digest,
    async (job) => {
      const data = digestJobSchema.parse(job.data);
      if ('sweep' in data) {
        const now = ctx.clock.now();
        const due = await findDueDigests(ctx.prisma, now);
        for (const { userId } of due) await enqueueDigest(ctx.queues(), userId);
        const repliesQueued = await queueRepliesAgain(
          ctx.prisma,
          ctx.queues(),
          await dueReplies(ctx.prisma, now),
        );
        if (repliesQueued > 0)
          ctx.log.info(
            { event: 'digest.replies_requeued', queue: QUEUE_NAMES.digest, repliesQueued },
            'digest replies queued for another round',
          );
        return { swept: due.length, repliesQueued };
      }
      const log = ctx.log.child({ queue: QUEUE_NAMES.digest, jobId: job.id, userId: data.userId });
      try {
        return await sendWeeklyDigest(
          {
            prisma: ctx.prisma,
            config: ctx.config,
            clock: ctx.clock,
            log,
            findDelivered: mailboxFinder(ctx),
          },
          data.userId,
        );
      } catch (error) {
        // A mail server that refuses for good will refuse again: recorded, not retried.
        if (error instanceof DigestSendError && error.permanent) throw new UnrecoverableError(error.message);
        throw error;
      }
    },
    // Selecting a digest waits on Postgres: four in flight keep one core busy (npm run bench -- digest).
    { connection, prefix: ctx.config.QUEUE_PREFIX, concurrency: 4 },
  );
  worker.on('failed', (job, error) => {
    const userId = job && 'userId' in job.data ? job.data.userId : undefined;
    ctx.log.warn(
      { event: 'digest.failed', queue: QUEUE_NAMES.digest, jobId: job?.id, userId, err: error.message },
      'digest job failed',
    );
  });
  return worker;
}
