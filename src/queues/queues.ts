import { type JobsOptions, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../lib/logger.ts';
import { logRedisErrors } from '../lib/redis.ts';

export const QUEUE_NAMES = { sync: 'sync', digest: 'digest', command: 'command' } as const;

export const syncJobSchema = z.object({
  accountId: z.uuid(),
  /** 'chunk': the next part of a backfill, enqueued by the part before it. */
  reason: z.enum(['schedule', 'manual', 'connect', 'chunk']).default('schedule'),
});
export type SyncJob = z.infer<typeof syncJobSchema>;

/** A digest to send (name 'digest'), or the sweep that finds due, unsent ones (name 'sweep'). */
export const digestJobSchema = z.object({ userId: z.uuid() }).or(z.object({ sweep: z.literal(true) }));
export type DigestJob = z.infer<typeof digestJobSchema>;

/** A message in the user's Sent mail that replies to a digest: applied once by the command worker. */
export const commandJobSchema = z.object({
  accountId: z.uuid(),
  candidate: z.object({
    providerMessageId: z.string().min(1),
    internetMessageId: z.string().nullable(),
    subject: z.string().nullable(),
    tokenDigestId: z.uuid().nullable(),
    digestMessageIds: z.array(z.string()),
  }),
});
export type CommandJob = z.infer<typeof commandJobSchema>;

/**
 * The sync queue's backoff type: a custom strategy, which the sync worker supplies (BullMQ asks
 * the worker that failed the job), so a retry can wait for the provider's Retry-After.
 */
export const SYNC_BACKOFF = 'sync-retry-after';

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
  readonly command: Queue<CommandJob>;
  events(name: keyof typeof QUEUE_NAMES): QueueEvents;
  close(): Promise<void>;
}

export function createQueues(
  connection: Redis,
  prefix: string,
  options: { syncRetryBaseMs?: number; log?: Logger } = {},
): Queues {
  // Without a listener BullMQ prints each error of a queue's connection to stderr, once per
  // failed reconnect while Redis is away.
  const watch = (emitter: Parameters<typeof logRedisErrors>[0], source: string) => {
    if (options.log) logRedisErrors(emitter, options.log, source);
  };
  // A sync job that failed for a passing reason (a 5xx storm outlasting the in-request retries)
  // waits this long, then doubles (with jitter), for its few attempts; never less than the
  // provider's Retry-After (the sync worker's backoffStrategy, syncRetryDelay).
  const syncBackoff = { type: SYNC_BACKOFF, delay: options.syncRetryBaseMs ?? 30_000 };
  const sync = new Queue<SyncJob>(QUEUE_NAMES.sync, {
    connection,
    prefix,
    defaultJobOptions: { ...defaultJobOptions, backoff: syncBackoff },
  });
  const digest = new Queue<DigestJob>(QUEUE_NAMES.digest, { connection, prefix, defaultJobOptions });
  const command = new Queue<CommandJob>(QUEUE_NAMES.command, {
    connection,
    prefix,
    defaultJobOptions: { ...defaultJobOptions, backoff: { type: 'exponential', delay: 5_000, jitter: 0.5 } },
  });
  for (const queue of [sync, digest, command]) watch(queue, `${queue.name} queue`);
  const events = new Map<string, QueueEvents>();
  const eventConnections: Redis[] = [];
  return {
    prefix,
    sync,
    digest,
    command,
    events(name) {
      let queueEvents = events.get(name);
      if (!queueEvents) {
        // QueueEvents blocks on its connection, so it gets its own.
        const eventConnection = connection.duplicate({ maxRetriesPerRequest: null });
        eventConnections.push(eventConnection);
        queueEvents = new QueueEvents(QUEUE_NAMES[name], { connection: eventConnection, prefix });
        watch(eventConnection, `${name} events connection`);
        watch(queueEvents, `${name} events`);
        events.set(name, queueEvents);
      }
      return queueEvents;
    },
    async close() {
      // BullMQ leaves connections it was given open: the duplicates are ours to close.
      await Promise.all([...events.values()].map((e) => e.close()));
      await Promise.all(eventConnections.map((c) => c.quit().catch(() => c.disconnect())));
      await Promise.all([sync.close(), digest.close(), command.close()]);
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

/**
 * The job that runs backfill chunk number `chunk` of an account. Its id is fixed by the chunk,
 * so a retried or duplicated job that enqueues "the next chunk" adds the same job: one chain.
 */
export function backfillChunkJobId(accountId: string, chunk: number): string {
  return `backfill-${accountId}-${chunk}`;
}

export async function enqueueBackfillChunk(
  queues: Queues,
  accountId: string,
  chunk: number,
): Promise<string> {
  const jobId = backfillChunkJobId(accountId, chunk);
  await queues.sync.add('sync', { accountId, reason: 'chunk' }, { jobId });
  return jobId;
}

/** Whether a job waits to run or is running (or was, by a process that died: BullMQ retakes it). */
export async function isJobPending(queues: Queues, jobId: string): Promise<boolean> {
  const job = await queues.sync.getJob(jobId);
  if (!job) return false;
  const state = await job.getState();
  return ['waiting', 'delayed', 'active', 'prioritized', 'waiting-children'].includes(state);
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

/** Every few minutes, any worker looks in the database for digests due and not yet sent. */
export async function scheduleDigestSweep(queues: Queues, everyMinutes = 10): Promise<void> {
  await queues.digest.upsertJobScheduler(
    'digest-sweep',
    { every: everyMinutes * 60_000 },
    {
      name: 'sweep',
      data: { sweep: true },
    },
  );
}

/** Enqueues one reply for the command worker; the same reply twice is one job. */
export async function enqueueCommand(queues: Queues, job: CommandJob): Promise<void> {
  await queues.command.add('reply', job, { jobId: commandJobId(job) });
}

/**
 * Enqueues one reply again, for another round of attempts: a job of it that has finished (failed,
 * or done while its pending row stayed) is replaced, one still waiting or running is left to run.
 * Returns whether a new job went in.
 */
export async function enqueueCommandAgain(queues: Queues, job: CommandJob): Promise<boolean> {
  const id = commandJobId(job);
  const state = await queues.command.getJobState(id);
  if (state !== 'unknown' && state !== 'failed' && state !== 'completed') return false;
  if (state !== 'unknown') await queues.command.remove(id);
  await queues.command.add('reply', job, { jobId: id });
  return true;
}

function commandJobId(job: CommandJob): string {
  return `reply-${job.accountId}-${job.candidate.providerMessageId}`.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** A digest for one user now; while one is waiting or running, asking again adds nothing. */
export async function enqueueDigest(queues: Queues, userId: string): Promise<void> {
  await queues.digest.add('digest', { userId }, { deduplication: { id: `digest-${userId}` } });
}
