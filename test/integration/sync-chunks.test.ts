import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForSync } from '../../src/cli/wait-for-sync.ts';
import type { AppContext } from '../../src/lib/context.ts';
import { createRedis } from '../../src/lib/redis.ts';
import { enqueueBackfillChunk, enqueueSync } from '../../src/queues/queues.ts';
import { createSyncWorker } from '../../workers/sync.worker.ts';
import { buildThreadedMailbox } from '../fixtures/threaded-mailbox.ts';
import { connectFake, reconnectDuringRefusal, startTestEnv, type TestEnv } from '../support/test-env.ts';

const OWNER = 'lee@example.com';
const now = new Date();
// 1,200 singletons: three list pages, one chunk job each.
const mailbox = buildThreadedMailbox({ owner: OWNER, now, threads: 1200, perThread: 1, shape: 'singletons' });
const PAGES = 3;

describe('a backfill run as a chain of chunk jobs by the sync worker', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let connection: Redis;
  let worker: Worker;
  let accountId: string;

  const account = () => ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
  const storedIds = async () =>
    (await ctx.prisma.interaction.findMany({ select: { providerMessageId: true } }))
      .map((r) => r.providerMessageId)
      .sort();

  beforeAll(async () => {
    env = await startTestEnv({
      owner: OWNER,
      messages: mailbox,
      settings: {
        BACKFILL_CHUNK_PAGES: '1',
        PROVIDER_RETRY_BASE_MS: '5',
        SYNC_RETRY_BASE_SECONDS: '1',
        GMAIL_QUOTA_UNITS_PER_MINUTE: '10000000',
      },
    });
    ctx = env.context();
    accountId = (await connectFake(ctx)).account.id;
  });
  afterAll(async () => {
    await worker?.close();
    await connection?.quit();
    await env?.close();
  });

  it('comes through a 5xx storm: retried in the request with backoff, then by the job, nothing lost or doubled', async () => {
    // Page 2 of the listing fails fourteen times in a row: the listing ahead that page 1's job
    // takes (six tries: page 1 is read planned alone), then page 2's own, past one request's
    // retries, so its chunk job fails once and is tried again by the queue's backoff.
    env.fake.injectFault({ path: /\/messages\?.*pageToken=/, status: 503, times: 14 });
    // And a burst of 500s on the message reads, absorbed by the in-request backoff.
    env.fake.injectFault({ path: /\/messages\/[0-9a-f]+\?/, status: 500, times: 8 });
    connection = createRedis(env.config.REDIS_URL, { forWorker: true });
    worker = createSyncWorker(ctx, connection);
    await waitFor(async () => ((await account()).lastSyncedAt ? true : null));

    expect(await storedIds()).toEqual(mailbox.map((m) => m.id).sort());
    const done = await account();
    expect(done.backfillDoneAt).not.toBeNull();
    expect(done.lastSyncError).toBeNull();
    expect(done.backfillChunks).toBe(PAGES);
    // Three pages listed once each (page 3 ahead, by page 2's job), plus the fourteen refused
    // tries of page 2: none listed again.
    expect(env.fake.stats.byEndpoint['users.messages.list']).toBe(PAGES + 14);
    const jobs = await ctx.queues().sync.getJobs(['completed']);
    expect(Math.max(...jobs.map((j) => j.attemptsMade))).toBe(2);
  });

  it('resyncs through the chain when the history expired, keeping every row and counting none twice', async () => {
    const before = await account();
    env.fake.addMessage({
      id: 'f0000000000000a1',
      threadId: 'f0000000000000a1',
      labelIds: ['INBOX'],
      internalDate: now.getTime() - 1000,
      headers: [
        { name: 'From', value: 'New Friend <new@example.org>' },
        { name: 'To', value: OWNER },
        { name: 'Subject', value: 'Hello' },
        { name: 'Message-ID', value: '<f0000000000000a1@example.org>' },
      ],
    });
    env.fake.expireHistory();
    const queues = ctx.queues();
    const listsBefore = env.fake.stats.byEndpoint['users.messages.list'] ?? 0;
    const job = await enqueueSync(queues, accountId, 'manual');
    // Duplicates while the chain runs: more sync requests, and the chunk job added again.
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await enqueueSync(queues, accountId, 'manual');
      await enqueueBackfillChunk(queues, accountId, (await account()).backfillChunks);
    }
    const outcome = await waitForSync(queues, job, 60_000, () => enqueueSync(queues, accountId, 'manual'));
    // Let the duplicates run out (the schedule's next run, 15 minutes away, aside).
    await waitFor(async () => {
      const pending = await queues.sync.getJobs(['waiting', 'delayed', 'active', 'prioritized']);
      return pending.every((j) => j.id?.startsWith('repeat:')) ? true : null;
    });

    // The new message is stored once whichever job of the chain (or a duplicate chunk job the test
    // added) reads its page; the waiting command reports the jobs it followed, so at most 1.
    expect(outcome.stored).toBeLessThanOrEqual(1);
    expect(await storedIds()).toEqual([...mailbox.map((m) => m.id), 'f0000000000000a1'].sort());
    const after = await account();
    expect(after.backfillDoneAt).not.toBeNull();
    // One chain: each page listed once, each chunk counted once.
    expect(after.backfillChunks).toBe(before.backfillChunks + PAGES);
    expect((env.fake.stats.byEndpoint['users.messages.list'] ?? 0) - listsBefore).toBe(PAGES);
  });

  it('stops a chain for good when access is revoked: needs reconnect, no retry, nothing queued', async () => {
    env.fake.expireHistory();
    const before = await account();
    const queues = ctx.queues();
    await enqueueSync(queues, accountId, 'manual');
    // Revoke once the resync's first chunk is done and the chain goes on.
    await waitFor(async () => ((await account()).backfillChunks > before.backfillChunks ? true : null));
    env.fake.revokeRefreshTokens();
    await waitFor(async () => ((await account()).status === 'NEEDS_RECONNECT' ? true : null));

    // Whatever was queued runs once and finds the account stopped; then nothing more happens.
    await waitFor(async () => {
      const pending = await queues.sync.getJobs(['waiting', 'delayed', 'active', 'prioritized']);
      return pending.length === 0 ? true : null;
    });
    const grants = env.fake.stats.tokenGrants.refresh_token;
    const requests = env.fake.stats.requests;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(env.fake.stats.tokenGrants.refresh_token).toBe(grants);
    expect(env.fake.stats.requests).toBe(requests);
    const stopped = await account();
    expect(stopped.statusReason).toMatch(/reconnect|revoked|invalid_grant/i);
    expect(stopped.backfillDoneAt).toBeNull();
    // The chunk job that met the revoked grant failed at its first attempt, without retries.
    const failed = await queues.sync.getJobs(['failed']);
    expect(failed.map((j) => [j.data.reason, j.attemptsMade])).toEqual([['chunk', 1]]);
    // And the account's periodic sync is gone until the user reconnects.
    expect(await queues.sync.getJobSchedulers()).toEqual([]);
  });

  it('carries a chain on with the new grant when the account is connected again while a chunk fails on the old one', async () => {
    const t0 = Date.now();
    env.fake.expireHistory();
    // The resync's second page meets the old grant after the user connected again.
    const reconnected = reconnectDuringRefusal(env.fake, ctx, /\/messages\?.*pageToken=/);
    // Connected again after the revocation above: the resync starts.
    await connectFake(ctx);
    await waitFor(async () => {
      const a = await account();
      return a.backfillDoneAt && (a.lastSyncedAt?.getTime() ?? 0) >= t0 ? true : null;
    });

    expect(reconnected()).toBe(true);
    const synced = await account();
    expect(synced.status).toBe('ACTIVE');
    expect(synced.lastSyncError).toBeNull();
    expect(await storedIds()).toEqual([...mailbox.map((m) => m.id), 'f0000000000000a1'].sort());
    // The job that met the old grant ran again at once, its failure not counted as an attempt.
    // On a loaded machine a second job (the reconnect's own sync) can be in flight with the old
    // grant too: each such job runs again once, the same way.
    const jobs = (await ctx.queues().sync.getJobs(['completed', 'failed'])).filter((j) => j.timestamp >= t0);
    const rerun = jobs.filter((j) => j.attemptsStarted > 1);
    expect(rerun.length).toBeGreaterThan(0);
    for (const job of rerun) expect([job.attemptsStarted, job.attemptsMade]).toEqual([2, 1]);
    expect(jobs.every((j) => j.finishedOn && !j.failedReason)).toBe(true);
  });
});

async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
