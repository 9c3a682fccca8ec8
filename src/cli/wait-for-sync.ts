import { setTimeout as delay } from 'node:timers/promises';
import { Job } from 'bullmq';
import { AppError } from '../lib/errors.ts';
import type { Queues } from '../queues/queues.ts';

export interface SyncOutcome {
  /** New messages stored over every job of the chain. */
  stored: number;
  skipped?: string;
}

interface SyncJobReturn {
  stored?: number;
  skipped?: string;
  continuedBy?: string | null;
}

const POLL_MS = 250;

/**
 * Waits for a sync job and then, while its backfill goes on in a chain of chunk jobs, for each
 * next one: `touchbase sync --wait` returns when the whole backfill (and the catch-up after it)
 * is done. `timeoutMs` bounds the wait for each job, so a long backfill that keeps moving is
 * never cut short. A chunk job already gone from Redis is replaced by a new sync request.
 */
export async function waitForSync(
  queues: Queues,
  first: Job,
  timeoutMs: number,
  requeue: () => Promise<Job>,
): Promise<SyncOutcome> {
  let jobId = first.id as string;
  let stored = 0;
  for (;;) {
    const result = await waitForJob(queues, jobId, timeoutMs, requeue);
    stored += result.stored ?? 0;
    if (result.skipped) return { stored, skipped: result.skipped };
    if (!result.continuedBy) return { stored };
    jobId = result.continuedBy;
  }
}

/**
 * Polls the job's state: a job that finishes between BullMQ's own "already finished?" check and
 * its event stream starting to listen would otherwise never be seen finishing (a deferred sync
 * finishes within milliseconds).
 */
async function waitForJob(
  queues: Queues,
  jobId: string,
  timeoutMs: number,
  requeue: () => Promise<Job>,
): Promise<SyncJobReturn> {
  const deadline = Date.now() + timeoutMs;
  let id = jobId;
  for (;;) {
    const job = (await Job.fromId(queues.sync, id)) ?? (await requeue());
    id = job.id as string;
    const state = await job.getState();
    if (state === 'completed')
      return ((await Job.fromId(queues.sync, id))?.returnvalue ?? {}) as SyncJobReturn;
    if (state === 'failed') {
      const failed = await Job.fromId(queues.sync, id);
      throw new AppError('SYNC_FAILED', failed?.failedReason ?? 'the sync job failed');
    }
    if (Date.now() > deadline) {
      throw new AppError(
        'SYNC_TIMEOUT',
        `no part of the sync finished within ${Math.round(timeoutMs / 1000)} s`,
      );
    }
    await delay(POLL_MS);
  }
}
