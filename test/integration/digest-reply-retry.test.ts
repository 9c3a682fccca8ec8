import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dueReplies,
  holdFailedReply,
  REPLY_ROUNDS,
  recordPendingReplies,
} from '../../src/commands/pending-digest-replies.ts';
import { HOUR_MS as HOUR } from '../../src/lib/clock.ts';
import type { AppContext } from '../../src/lib/context.ts';
import { AccountStatus } from '../../src/lib/prisma.ts';
import { type RunningWorkers, startWorkers } from '../../workers/index.ts';
import { type DigestReplyEnv, startDigestReplyEnv } from '../support/digest-reply-env.ts';
import { connectFake, reconnectDuringRefusal } from '../support/test-env.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * A reply to a digest whose job failed is not dropped: it stays pending, held for a while, and
 * goes again when the cause is likely gone: when its wait is over (the reply sweep), or when the
 * account whose grant was revoked is connected again.
 */
describe('digest replies whose jobs failed', () => {
  const now = new Date('2026-11-23T09:00:00Z');
  // The workers' clock, moved on by the tests.
  let at = now;
  const clock = { now: () => new Date(at.getTime()) };
  let replies: DigestReplyEnv;
  let ctx: AppContext;
  let workers: RunningWorkers | undefined;

  beforeAll(async () => {
    // In-request retries of a 5xx in milliseconds, not seconds.
    replies = await startDigestReplyEnv({ now, clock, settings: { PROVIDER_RETRY_BASE_MS: '5' } });
    ctx = replies.ctx;
  });
  afterAll(async () => {
    await workers?.close(5_000);
    await replies?.close();
  });

  const pendingRow = (id: string) =>
    ctx.prisma.pendingDigestReply.findUnique({
      where: { accountId_providerMessageId: { accountId: replies.owner.accountId, providerMessageId: id } },
    });
  const heldRow = (id: string) =>
    waitFor(async () => {
      const row = await pendingRow(id);
      return row && row.failedRounds > 0 ? row : null;
    }, `reply ${id} to be held after a failed round`);
  /** The reply was applied (item `n` snoozed three weeks) and answered, and is no longer pending. */
  const appliedAndCleared = async (id: string, n: number) => {
    await waitFor(
      () =>
        ctx.prisma.digestReply.findFirst({
          where: { providerMessageId: id, confirmationMessageId: { not: null } },
        }),
      `reply ${id} to be applied and answered`,
      30_000,
    );
    expect((await replies.snoozedUntil(n))?.getTime()).toBeGreaterThan(at.getTime() + 20 * 24 * HOUR);
    await waitFor(
      async () => ((await pendingRow(id)) === null ? true : null),
      `reply ${id} no longer pending`,
    );
    await workers?.close(5_000);
    workers = undefined;
  };
  const jobOf = (id: string) => ctx.queues().command.getJob(`reply-${replies.owner.accountId}-${id}`);
  /** One run of the sweep, by the digest worker, at the workers' clock. */
  const sweep = async () => {
    const events = ctx.queues().events('digest');
    await events.waitUntilReady();
    const job = await ctx.queues().digest.add('sweep', { sweep: true });
    return (await job.waitUntilFinished(events, 30_000)) as { repliesQueued: number };
  };

  it('waits while the grant is revoked, with no retries, and goes once the account is connected again', async () => {
    replies.addReply('reply-revoked', 'In-Reply-To', 'snooze 3 3w', 1);
    await replies.syncAndQueue();
    replies.env.fake.revokeRefreshTokens();
    workers = await startWorkers(replies.env.context({ clock }));

    const held = await heldRow('reply-revoked');
    expect(held).toMatchObject({ failedRounds: 1, retryAt: new Date(at.getTime() + HOUR) });
    const account = await ctx.prisma.mailAccount.findUniqueOrThrow({
      where: { id: replies.owner.accountId },
    });
    expect(account.status).toBe(AccountStatus.NEEDS_RECONNECT);
    // Tried once: a revoked grant is never a retry loop.
    const job = await jobOf('reply-revoked');
    expect(await job?.getState()).toBe('failed');
    expect(job?.attemptsMade).toBe(1);

    // Its wait is over, but the account still needs reconnecting: the sweep leaves it.
    at = new Date(at.getTime() + 2 * HOUR);
    expect((await sweep()).repliesQueued).toBe(0);
    expect(await ctx.prisma.digestReply.count({ where: { providerMessageId: 'reply-revoked' } })).toBe(0);

    // Connected again: the reply goes now, with no wait.
    await connectFake(ctx);
    await appliedAndCleared('reply-revoked', 3);
    // No run that failed on the revoked grant, however late, undid the reconnect.
    const reconnected = await ctx.prisma.mailAccount.findUniqueOrThrow({
      where: { id: replies.owner.accountId },
    });
    expect(reconnected.status).toBe(AccountStatus.ACTIVE);
  });

  it('is queued again by the sweep once its wait is over, after a round of 5xx', async () => {
    replies.addReply('reply-storm', 'In-Reply-To', 'snooze 1 3w', 2);
    await replies.syncAndQueue();
    // One attempt a round here, so that the round ends at once; the queue's own retries between
    // attempts are BullMQ's.
    const queued = await jobOf('reply-storm');
    expect(queued).toBeDefined();
    await queued?.remove();
    await ctx
      .queues()
      .command.add('reply', queued?.data ?? never(), { jobId: queued?.id ?? never(), attempts: 1 });
    // Reading the reply's text fails the first request and the in-request retries.
    replies.env.fake.injectFault({ path: /messages\/reply-storm\?.*format=full/, status: 503, times: 6 });
    workers = await startWorkers(replies.env.context({ clock }));

    const held = await heldRow('reply-storm');
    expect(held).toMatchObject({ failedRounds: 1, retryAt: new Date(at.getTime() + HOUR) });
    expect(await (await jobOf('reply-storm'))?.getState()).toBe('failed');

    at = new Date(at.getTime() + 30 * 60_000);
    expect((await sweep()).repliesQueued).toBe(0);
    at = new Date(at.getTime() + 31 * 60_000);
    expect((await sweep()).repliesQueued).toBe(1);
    await appliedAndCleared('reply-storm', 1);
  });

  it('goes at once, spending no attempt, when the grant it failed on was replaced while it ran', async () => {
    replies.addReply('reply-regranted', 'In-Reply-To', 'snooze 2 3w', 3);
    await replies.syncAndQueue();
    // Its one and only attempt: before, failing on a replaced grant ended the round (held an hour).
    const queued = await jobOf('reply-regranted');
    await queued?.remove();
    await ctx
      .queues()
      .command.add('reply', queued?.data ?? never(), { jobId: queued?.id ?? never(), attempts: 1 });
    const reconnected = reconnectDuringRefusal(
      replies.env.fake,
      ctx,
      /messages\/reply-regranted\?.*format=full/,
    );
    workers = await startWorkers(replies.env.context({ clock }));

    await waitFor(
      async () => ((await (await jobOf('reply-regranted'))?.getState()) === 'completed' ? true : null),
      'the reply job to complete',
      30_000,
    );
    // Run twice, one attempt counted (the one that worked): with one attempt allowed, a failure
    // counted would have failed the job and held the reply.
    const job = await jobOf('reply-regranted');
    expect({ started: job?.attemptsStarted, made: job?.attemptsMade }).toEqual({ started: 2, made: 1 });
    expect(reconnected()).toBe(true);
    await appliedAndCleared('reply-regranted', 2);
    const account = await ctx.prisma.mailAccount.findUniqueOrThrow({
      where: { id: replies.owner.accountId },
    });
    expect(account.status).toBe(AccountStatus.ACTIVE);
  });

  it('waits an hour after a round, doubling to a day, and after the last round waits for a reconnect', async () => {
    const job = replies.pendingJob('reply-rounds');
    await recordPendingReplies(ctx.prisma, [job]);
    const waits: (number | null)[] = [];
    for (let round = 1; round <= REPLY_ROUNDS; round++) {
      const held = await holdFailedReply(ctx.prisma, job, now);
      expect(held?.failedRounds).toBe(round);
      waits.push(held?.retryAt ? (held.retryAt.getTime() - now.getTime()) / HOUR : null);
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 24, 24, null]);
    await ctx.prisma.pendingDigestReply.delete({
      where: { accountId_providerMessageId: { accountId: job.accountId, providerMessageId: 'reply-rounds' } },
    });
  });

  it('sweeps the replies whose wait is over and those left pending with no job, of connected accounts only', async () => {
    const { accountId } = replies.owner;
    const t = new Date('2026-12-20T12:00:00Z');
    const row = (providerMessageId: string, data: { foundAt: Date; retryAt?: Date; failedRounds?: number }) =>
      ctx.prisma.pendingDigestReply.create({
        data: {
          accountId,
          providerMessageId,
          candidate: replies.pendingJob(providerMessageId).candidate,
          ...data,
        },
      });
    await row('due', { foundAt: new Date(t.getTime() - 5 * HOUR), retryAt: t, failedRounds: 2 });
    await row('not-yet', { foundAt: new Date(t.getTime() - 5 * HOUR), retryAt: new Date(t.getTime() + 1) });
    await row('given-up', { foundAt: new Date(t.getTime() - 90 * HOUR), failedRounds: REPLY_ROUNDS });
    await row('stale', { foundAt: new Date(t.getTime() - 2 * HOUR) });
    await row('just-found', { foundAt: new Date(t.getTime() - 30 * 60_000) });

    const ids = async () => (await dueReplies(ctx.prisma, t)).map((job) => job.candidate.providerMessageId);
    expect(await ids()).toEqual(['due', 'stale']);
    await ctx.prisma.mailAccount.update({
      where: { id: accountId },
      data: { status: AccountStatus.NEEDS_RECONNECT },
    });
    expect(await ids()).toEqual([]);
    await ctx.prisma.mailAccount.update({ where: { id: accountId }, data: { status: AccountStatus.ACTIVE } });
    await ctx.prisma.pendingDigestReply.deleteMany();
  });
});

function never(): never {
  throw new Error('the reply has no job');
}
