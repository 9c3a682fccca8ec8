import { type JobsOptions, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';

export const QUEUE_NAMES = { sync: 'sync', digest: 'digest' } as const;

export const syncJobSchema = z.object({
  accountId: z.uuid(),
  reason: z.enum(['schedule', 'manual', 'connect']).default('schedule'),
});
export type SyncJob = z.infer<typeof syncJobSchema>;

export const digestJobSchema = z.object({ userId: z.uuid() });
export type DigestJob = z.infer<typeof digestJobSchema>;

/** Retries with backoff are the default; the sync policy turns hopeless errors into UnrecoverableError. */
const defaultJobOptions: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 30_000, jitter: 0.5 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 1000 },
  removeOnFail: { age: 30 * 24 * 3600 },
};

export interface Queues {
  readonly prefix: string;
  readonly sync: Queue<SyncJob>;
  readonly digest: Queue<DigestJob>;
  events(name: keyof typeof QUEUE_NAMES): QueueEvents;
  close(): Promise<void>;
}

export function createQueues(connection: Redis, prefix: string): Queues {
  const sync = new Queue<SyncJob>(QUEUE_NAMES.sync, { connection, prefix, defaultJobOptions });
  const digest = new Queue<DigestJob>(QUEUE_NAMES.digest, { connection, prefix, defaultJobOptions });
  const events = new Map<string, QueueEvents>();
  const eventConnections: Redis[] = [];
  return {
    prefix,
    sync,
    digest,
    events(name) {
      let queueEvents = events.get(name);
      if (!queueEvents) {
        // QueueEvents blocks on its connection, so it gets its own.
        const eventConnection = connection.duplicate({ maxRetriesPerRequest: null });
        eventConnections.push(eventConnection);
        queueEvents = new QueueEvents(QUEUE_NAMES[name], { connection: eventConnection, prefix });
        events.set(name, queueEvents);
      }
      return queueEvents;
    },
    async close() {
      // BullMQ leaves connections it was given open: the duplicates are ours to close.
      await Promise.all([...events.values()].map((e) => e.close()));
      await Promise.all(eventConnections.map((c) => c.quit().catch(() => c.disconnect())));
      await Promise.all([sync.close(), digest.close()]);
    },
  };
}

/**
 * One sync per account at a time: a second request while one runs is kept (only the latest)
 * and runs right after, so "sync now" is never lost and never runs twice in parallel.
 */
export async function enqueueSync(queues: Queues, accountId: string, reason: SyncJob['reason']) {
  return queues.sync.add(
    'sync',
    { accountId, reason },
    { deduplication: { id: `sync:${accountId}`, keepLastIfActive: true } },
  );
}

/** The periodic sync of one account, every `everyMinutes`, shared by all worker processes. */
export async function scheduleAccountSync(
  queues: Queues,
  accountId: string,
  everyMinutes: number,
): Promise<void> {
  await queues.sync.upsertJobScheduler(
    `sync:${accountId}`,
    { every: everyMinutes * 60_000 },
    {
      name: 'sync',
      data: { accountId, reason: 'schedule' },
    },
  );
}

export async function unscheduleAccountSync(queues: Queues, accountId: string): Promise<void> {
  await queues.sync.removeJobScheduler(`sync:${accountId}`);
}

/** The weekly digest of one user, at their weekday and hour in their own time zone. */
export async function scheduleUserDigest(
  queues: Queues,
  user: { id: string; digestDay: number; digestHour: number; timeZone: string },
): Promise<void> {
  // Cron counts Sunday as 0; touchbase stores ISO weekdays (Monday 1 .. Sunday 7).
  const pattern = `0 ${user.digestHour} * * ${user.digestDay % 7}`;
  await queues.digest.upsertJobScheduler(
    `digest:${user.id}`,
    { pattern, tz: user.timeZone },
    { name: 'digest', data: { userId: user.id }, opts: { attempts: 8 } },
  );
}
