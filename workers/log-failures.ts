import type { Worker } from 'bullmq';
import type { Logger } from '../src/lib/logger.ts';

/** Errors are logged once, here, where they are handled: the job's ids, never its content. */
export function logFailures<T extends Record<string, unknown>>(
  worker: Worker<T>,
  log: Logger,
  idKey: keyof T & string,
): void {
  worker.on('failed', (job, error) => {
    log.warn(
      {
        event: `${worker.name}.failed`,
        queue: worker.name,
        jobId: job?.id,
        [idKey]: job?.data[idKey],
        err: error.message,
      },
      `${worker.name} job failed`,
    );
  });
}
