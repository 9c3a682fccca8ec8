import { Job, type QueueEvents } from 'bullmq';
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

/**
 * Waits for a sync job and then, while its backfill goes on in a chain of chunk jobs, for each
 * next one: `touchbase sync --wait` returns when the whole backfill (and the catch-up after it)
 * is done. `timeoutMs` bounds the wait for each job, so a long backfill that keeps moving is
 * never cut short. A chunk job already gone from Redis is replaced by a new sync request.
 */
export async function waitForSync(
  queues: Queues,
  events: QueueEvents,
  first: Job,
  timeoutMs: number,
  requeue: () => Promise<Job>,
): Promise<SyncOutcome> {
  let job = first;
  let stored = 0;
  for (;;) {
    const result = ((await job.waitUntilFinished(events, timeoutMs)) ?? {}) as SyncJobReturn;
    stored += result.stored ?? 0;
    if (result.skipped) return { stored, skipped: result.skipped };
    if (!result.continuedBy) return { stored };
    job = (await Job.fromId(queues.sync, result.continuedBy)) ?? (await requeue());
  }
}
