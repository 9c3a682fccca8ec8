import { DAY_MS, HOUR_MS } from '../lib/clock.ts';
import { AccountStatus, type PendingDigestReply, type PrismaClient } from '../lib/prisma.ts';
import { type CommandJob, commandJobSchema, enqueueCommandAgain, type Queues } from '../queues/queues.ts';
import type { CommandSigner } from './command-token.ts';
import { findStoredDigestReplies } from './find-stored-digest-replies.ts';

/**
 * Sync finds a digest reply once, when it stores the page; its command job lives in Redis. These
 * rows keep it in Postgres too, from the moment it is found until its job has run, so that a Redis
 * that comes back empty loses no reply, however old and however it named the digest (In-Reply-To,
 * References, the subject's token, or the conversation alone). Returns the jobs to queue: those
 * not yet answered.
 */
export async function recordPendingReplies(
  prisma: PrismaClient,
  jobs: readonly CommandJob[],
): Promise<CommandJob[]> {
  if (jobs.length === 0) return [];
  // A reply already applied and answered, seen again (a full resync, a chunk run again), is not
  // pending: its row would stay, since its job, done, is not run again.
  const answered = await prisma.digestReply.findMany({
    where: {
      OR: jobs.map((job) => ({
        accountId: job.accountId,
        providerMessageId: job.candidate.providerMessageId,
      })),
      confirmationMessageId: { not: null },
    },
    select: { accountId: true, providerMessageId: true },
  });
  const done = new Set(answered.map((row) => replyKey(row.accountId, row.providerMessageId)));
  const pending = jobs.filter((job) => !done.has(replyKey(job.accountId, job.candidate.providerMessageId)));
  if (pending.length === 0) return [];
  await prisma.pendingDigestReply.createMany({
    data: pending.map((job) => ({
      accountId: job.accountId,
      providerMessageId: job.candidate.providerMessageId,
      candidate: job.candidate,
    })),
    skipDuplicates: true,
  });
  return pending;
}

/** The reply's job ran (applied, already applied or ignored, with the reason it gave): nothing is pending. */
export async function clearPendingReply(prisma: PrismaClient, job: CommandJob): Promise<void> {
  await prisma.pendingDigestReply.deleteMany({ where: replyId(job) });
}

/**
 * Rounds of attempts a reply's job gets (each round is the command queue's few quick attempts).
 * Between rounds the reply waits an hour, then two, four..., at most a day: about three days in
 * all, so a reply outlives an outage of the mail server or the provider and is applied well before
 * the next weekly digest. After the last round it waits for its account to be connected again or
 * for Redis to be lost; it is never dropped.
 */
export const REPLY_ROUNDS = 8;

/** A pending row whose job left it there longer than this has lost its job: it is queued again. */
const STALE_AFTER_MS = HOUR_MS;

/**
 * Every attempt of the reply's job failed, or the error left no point in another now (a revoked
 * grant, a message the provider no longer has): the reply sweep queues it again once its wait is
 * over. Returns when, or null after the last round (and when nothing was pending).
 */
export async function holdFailedReply(
  prisma: PrismaClient,
  job: CommandJob,
  now: Date,
): Promise<{ failedRounds: number; retryAt: Date | null } | null> {
  const where = { accountId_providerMessageId: replyId(job) };
  const row = await prisma.pendingDigestReply.findUnique({ where });
  if (!row) return null;
  const failedRounds = row.failedRounds + 1;
  const wait = Math.min(HOUR_MS * 2 ** (failedRounds - 1), DAY_MS);
  const retryAt = failedRounds < REPLY_ROUNDS ? new Date(now.getTime() + wait) : null;
  await prisma.pendingDigestReply.update({ where, data: { failedRounds, retryAt } });
  return { failedRounds, retryAt };
}

/**
 * The pending replies of connected accounts that the reply sweep queues again at `now`: those
 * whose wait after a failed round is over, and those left pending an hour with no wait set (a job
 * that finished but crashed before clearing its row, or that Redis no longer has).
 */
export async function dueReplies(prisma: PrismaClient, now: Date): Promise<CommandJob[]> {
  const rows = await prisma.pendingDigestReply.findMany({
    where: {
      account: { status: AccountStatus.ACTIVE },
      failedRounds: { lt: REPLY_ROUNDS },
      OR: [
        { retryAt: { lte: now } },
        { retryAt: null, foundAt: { lt: new Date(now.getTime() - STALE_AFTER_MS) } },
      ],
    },
    orderBy: [{ foundAt: 'asc' }, { providerMessageId: 'asc' }],
  });
  return readRows(rows).jobs;
}

/**
 * Queues these replies again, for another round: a finished job of one (failed, or done while
 * its row stayed) is replaced, a waiting or running one left to run. `freshRounds`: the cause of
 * the failures is gone (the account was connected again), so each gets every round again.
 * Returns how many jobs went in.
 */
export async function queueRepliesAgain(
  prisma: PrismaClient,
  queues: Queues,
  jobs: readonly CommandJob[],
  options: { freshRounds?: boolean } = {},
): Promise<number> {
  if (jobs.length === 0) return 0;
  // First, in one statement: a job that fails at once then sets its own wait, which this must not
  // erase.
  await prisma.pendingDigestReply.updateMany({
    where: { OR: jobs.map(replyId) },
    data: { retryAt: null, ...(options.freshRounds ? { failedRounds: 0 } : {}) },
  });
  let queued = 0;
  for (const job of jobs) if (await enqueueCommandAgain(queues, job)) queued++;
  return queued;
}

/**
 * The replies of these accounts whose jobs have not run, oldest first, as command jobs. A row that
 * no longer reads as a candidate (written by another version) is skipped, not fatal: the others
 * still go.
 */
export async function pendingReplies(
  prisma: PrismaClient,
  accountIds: readonly string[],
): Promise<{ jobs: CommandJob[]; unreadable: number }> {
  const rows = await prisma.pendingDigestReply.findMany({
    where: { accountId: { in: [...accountIds] } },
    orderBy: [{ foundAt: 'asc' }, { providerMessageId: 'asc' }],
  });
  return readRows(rows);
}

function readRows(rows: readonly PendingDigestReply[]): { jobs: CommandJob[]; unreadable: number } {
  const jobs: CommandJob[] = [];
  let unreadable = 0;
  for (const row of rows) {
    const parsed = commandJobSchema.safeParse({ accountId: row.accountId, candidate: row.candidate });
    if (parsed.success) jobs.push(parsed.data);
    else unreadable++;
  }
  return { jobs, unreadable };
}

/**
 * Every reply of these accounts whose job may have gone with Redis: the pending rows, and the
 * replies in stored mail since `since` that no DigestReply row records, for a reply found before
 * pending_digest_replies existed (findStoredDigestReplies: it cannot see References). A reply
 * found both ways is one job.
 */
export async function unappliedReplies(
  prisma: PrismaClient,
  accounts: readonly { id: string; userId: string }[],
  since: Date,
  signer: CommandSigner,
): Promise<{ jobs: CommandJob[]; unreadable: number }> {
  const { jobs, unreadable } = await pendingReplies(
    prisma,
    accounts.map((account) => account.id),
  );
  const queued = new Set(jobs.map((job) => replyKey(job.accountId, job.candidate.providerMessageId)));
  for (const account of accounts) {
    const owner = { userId: account.userId, accountId: account.id };
    for (const candidate of await findStoredDigestReplies(prisma, owner, since, signer)) {
      if (!queued.has(replyKey(account.id, candidate.providerMessageId)))
        jobs.push({ accountId: account.id, candidate });
    }
  }
  return { jobs, unreadable };
}

/** One reply of one account, as a set key. */
function replyKey(accountId: string, providerMessageId: string): string {
  return `${accountId} ${providerMessageId}`;
}

/** The pending row of a reply's job. */
function replyId(job: CommandJob): { accountId: string; providerMessageId: string } {
  return { accountId: job.accountId, providerMessageId: job.candidate.providerMessageId };
}
