import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/lib/context.ts';
import { createRedis } from '../../src/lib/redis.ts';
import { createSyncWorker } from '../../workers/sync.worker.ts';
import type { FakeGmailMessage } from '../fakes/gmail/fake-gmail.ts';
import type { LoggedRequest } from '../fakes/gmail/request-log.ts';
import { buildThreadedMailbox } from '../fixtures/threaded-mailbox.ts';
import { connectFake, startTestEnv, syncOnce, type TestEnv } from '../support/test-env.ts';
import { waitFor } from '../support/wait-for.ts';

const OWNER = 'rita@example.com';
const now = new Date();
/** Each message a thread of its own: every read is a messages.get, ten of them in flight. */
const singletons = (count: number) =>
  buildThreadedMailbox({ owner: OWNER, now, threads: count, perThread: 1, shape: 'singletons' });

let env: TestEnv | undefined;
let worker: Worker | undefined;
let connection: Redis | undefined;
afterEach(async () => {
  await worker?.close();
  await connection?.quit();
  await env?.close();
  worker = undefined;
  connection = undefined;
  env = undefined;
});

async function start(messages: FakeGmailMessage[], fake: { maxConcurrentRequests?: number } = {}) {
  env = await startTestEnv({
    owner: OWNER,
    messages,
    // A raised quota: the governor's pace (about 50 reads a second by default) would otherwise
    // keep fewer reads in flight than any concurrency limit.
    settings: {
      PROVIDER_RETRY_BASE_MS: '10',
      SYNC_RETRY_BASE_SECONDS: '1',
      GMAIL_QUOTA_UNITS_PER_MINUTE: '10000000',
    },
    // A little latency, so that reads overlap as they do against Google.
    fake: { logRequests: true, latency: { fixedMs: 10, jitterMs: 10 }, ...fake },
  });
  const ctx = env.context();
  const accountId = (await connectFake(ctx)).account.id;
  return { env, ctx, accountId };
}

async function storedIds(ctx: AppContext): Promise<string[]> {
  const rows = await ctx.prisma.interaction.findMany({ select: { providerMessageId: true } });
  return rows.map((r) => r.providerMessageId).sort();
}

/** The requests that arrived after the answer `refusal` was sent. */
function arrivedAfter(log: readonly LoggedRequest[], refusal: LoggedRequest): LoggedRequest[] {
  return log.filter((r) => r !== refusal && r.at >= refusal.answeredAt);
}

function refusals(log: readonly LoggedRequest[], status: number): LoggedRequest[] {
  return log.filter((r) => r.status === status);
}

describe('Gmail rate limits with Retry-After, through the real googleapis client', () => {
  it('sends nothing more for the mailbox until a quota refusal’s Retry-After has passed', async () => {
    const mailbox = singletons(40);
    const { env, ctx, accountId } = await start(mailbox);
    // The listing is the only request in flight: whatever comes after it was sent after it.
    env.fake.injectFault({
      path: /\/messages\?/,
      status: 403,
      reason: 'userRateLimitExceeded',
      retryAfterSeconds: 2,
    });
    await syncOnce(ctx, accountId);

    const [refusal] = refusals(env.fake.requestLog, 403);
    if (!refusal) throw new Error('the fake refused nothing');
    const after = arrivedAfter(env.fake.requestLog, refusal);
    expect(after.length).toBeGreaterThan(mailbox.length);
    expect(Math.min(...after.map((r) => r.at)) - refusal.answeredAt).toBeGreaterThanOrEqual(2000);
    expect(await storedIds(ctx)).toEqual(mailbox.map((m) => m.id).sort());
  });

  it("puts the project's quota, not only the mailbox's, in the penalty box on Google's project-wide refusal", async () => {
    const mailbox = singletons(20);
    const { env, ctx, accountId } = await start(mailbox);
    // Google's quota page: the per-project limit (every user of the app) is refused as 403
    // rateLimitExceeded.
    env.fake.injectFault({
      path: /\/messages\?/,
      status: 403,
      reason: 'rateLimitExceeded',
      retryAfterSeconds: 2,
    });
    const sync = syncOnce(ctx, accountId);
    await waitFor(async () => refusals(env.fake.requestLog, 403)[0] ?? null, 'the refusal', 30_000);
    const prefix = ctx.config.QUEUE_PREFIX;
    const projectPause = await waitFor(
      async () => {
        const ms = await ctx.redis().pttl(`${prefix}:quota:gmail-project:penalty`);
        return ms > 0 ? ms : null;
      },
      "the project's penalty",
      5_000,
    );
    expect(projectPause).toBeLessThanOrEqual(2000);
    expect(await ctx.redis().exists(`${prefix}:quota:${accountId}:penalty`)).toBe(0);
    await sync;
    expect(await storedIds(ctx)).toEqual(mailbox.map((m) => m.id).sort());
  });

  it('pauses every read of the mailbox, not only the refused one, when a read among ten in flight is refused', async () => {
    const mailbox = singletons(60);
    const { env, ctx, accountId } = await start(mailbox);
    const target = mailbox[30]?.id ?? '';
    // Google's 429 for a spent per-user limit, with its time to retry (not the concurrency one).
    env.fake.injectFault({
      path: new RegExp(`/messages/${target}\\?`),
      status: 429,
      reason: 'rateLimitExceeded',
      message: 'User-rate limit exceeded',
      retryAfterSeconds: 2,
    });
    await syncOnce(ctx, accountId);

    const [refusal] = refusals(env.fake.requestLog, 429);
    if (!refusal) throw new Error('the fake refused nothing');
    const early = arrivedAfter(env.fake.requestLog, refusal).filter((r) => r.at < refusal.answeredAt + 2000);
    // Only reads already on their way when the refusal left may arrive before the pause ends: at
    // most the other nine of the ten in flight, within moments of it.
    expect(early.length).toBeLessThan(10);
    for (const r of early) expect(r.at - refusal.answeredAt).toBeLessThan(250);
    const retried = env.fake.requestLog.filter(
      (r) => r.path.includes(`/messages/${target}?`) && r !== refusal,
    );
    expect(retried.map((r) => r.status)).toEqual([200]);
    expect(retried[0]?.at ?? 0).toBeGreaterThanOrEqual(refusal.answeredAt + 2000);
    expect(await storedIds(ctx)).toEqual(mailbox.map((m) => m.id).sort());
  });

  it('retries a sync job that ran out of rate-limit retries no sooner than the last Retry-After', async () => {
    const mailbox = singletons(20);
    const { env, ctx } = await start(mailbox);
    // The listing is refused past every in-request retry (1 + 5): five times with Retry-After 0,
    // then once with Retry-After 3 s, which the job's retry must wait for: the queue's backoff
    // alone would try again after 0.5-1 s (SYNC_RETRY_BASE_SECONDS=1).
    env.fake.injectFault({
      path: /\/messages\?/,
      status: 403,
      reason: 'userRateLimitExceeded',
      retryAfterSeconds: 0,
      times: 5,
    });
    env.fake.injectFault({
      path: /\/messages\?/,
      status: 403,
      reason: 'userRateLimitExceeded',
      retryAfterSeconds: 3,
    });
    connection = createRedis(env.config.REDIS_URL, { forWorker: true });
    worker = createSyncWorker(ctx, connection);
    const retryDelays: number[] = [];
    worker.on('failed', (job) => {
      if (job) retryDelays.push(job.delay);
    });
    await waitFor(async () => {
      const completed = await ctx.queues().sync.getJobs(['completed']);
      return completed.find((j) => j.data.reason === 'connect') ?? null;
    }, 'the sync job to complete');

    const refused = refusals(env.fake.requestLog, 403);
    expect(refused).toHaveLength(6);
    const last = refused[5] as LoggedRequest;
    // Nothing reached the mailbox within that Retry-After, from this job or any other.
    const after = arrivedAfter(env.fake.requestLog, last);
    expect(after.length).toBeGreaterThan(0);
    expect(Math.min(...after.map((r) => r.at)) - last.answeredAt).toBeGreaterThanOrEqual(3000);
    // The job failed once and was put back for the Retry-After, not the 0.5-1 s backoff.
    expect(retryDelays).toHaveLength(1);
    expect(retryDelays[0]).toBeGreaterThanOrEqual(3000);
    expect(await storedIds(ctx)).toEqual(mailbox.map((m) => m.id).sort());
  });
});

describe('Gmail’s per-user concurrency limit, through the real googleapis client', () => {
  it('narrows its reads in flight when Google says too many at once: every message stored once, few refusals', async () => {
    const mailbox = singletons(300);
    // The provider starts at ten reads in flight; this mailbox takes three at a time.
    const { env, ctx, accountId } = await start(mailbox, { maxConcurrentRequests: 3 });
    const result = await syncOnce(ctx, accountId);

    expect(result.stored).toBe(mailbox.length);
    expect(await ctx.prisma.interaction.count()).toBe(mailbox.length);
    expect(await storedIds(ctx)).toEqual(mailbox.map((m) => m.id).sort());
    const refused = env.fake.stats.quota.rejected.concurrency;
    expect(refusals(env.fake.requestLog, 429)).toHaveLength(refused);
    // The first ten meet the limit (seven refused, then a couple more at five); after that one
    // more read in flight is tried only after each run of 50 successes (7-8 refusals in all
    // here). Reads kept at ten, each retried after its own backoff, were refused 65 times.
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThanOrEqual(25);
  });
});
