import { DelayedError, type Job } from 'bullmq';

/** How soon a job that failed on a grant the user has since replaced runs again. */
const NEW_GRANT_DELAY_MS = 1_000;

/**
 * A job that failed on a grant the user replaced while it ran (they connected the account again)
 * runs again in a moment, with the new grant, and spends no attempt on it: the failure was the old
 * grant's, not the job's. A reply to a digest on its last attempt is then not held for an hour,
 * and a sync job keeps its retries for real failures.
 */
export async function runAgainWithNewGrant(job: Job, token: string | undefined): Promise<never> {
  await job.moveToDelayed(Date.now() + NEW_GRANT_DELAY_MS, token);
  throw new DelayedError();
}
