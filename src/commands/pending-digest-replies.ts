import type { PrismaClient } from '../lib/prisma.ts';
import { type CommandJob, commandJobSchema } from '../queues/queues.ts';
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
  await prisma.pendingDigestReply.deleteMany({
    where: { accountId: job.accountId, providerMessageId: job.candidate.providerMessageId },
  });
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
