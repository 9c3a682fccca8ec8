import { UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { DigestSendError } from '../src/digest/send-digest.ts';
import { type DigestOutcome, sendWeeklyDigest } from '../src/digest/send-weekly-digest.ts';
import type { AppContext } from '../src/lib/context.ts';
import { type DigestJob, digestJobSchema, QUEUE_NAMES } from '../src/queues/queues.ts';
import { logFailures } from './log-failures.ts';

/** Wiring only: parse the payload and send this period's digest once. */
export function createDigestWorker(ctx: AppContext, connection: Redis): Worker<DigestJob, DigestOutcome> {
  const worker = new Worker<DigestJob, DigestOutcome>(
    QUEUE_NAMES.digest,
    async (job) => {
      const { userId } = digestJobSchema.parse(job.data);
      const log = ctx.log.child({ queue: QUEUE_NAMES.digest, jobId: job.id, userId });
      try {
        return await sendWeeklyDigest(
          { prisma: ctx.prisma, config: ctx.config, clock: ctx.clock, log },
          userId,
        );
      } catch (error) {
        // A mail server that refuses for good will refuse again: recorded, not retried.
        if (error instanceof DigestSendError && error.permanent) throw new UnrecoverableError(error.message);
        throw error;
      }
    },
    { connection, prefix: ctx.config.QUEUE_PREFIX, concurrency: 2 },
  );
  logFailures(worker, ctx.log, 'userId');
  return worker;
}
