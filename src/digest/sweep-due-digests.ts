import { DigestStatus, type PrismaClient } from '../lib/prisma.ts';
import { lastDueAt } from './schedule.ts';

/**
 * The users whose digest for the current period is due and not yet settled (sent, refused, or
 * an empty week). Driven by the database alone, so a Redis flush or workers down at the hour
 * never skip a week: the next sweep finds the period and the digest goes out, once. Only the
 * latest period counts (a digest three weeks late is news from the past), and never one due
 * before the user joined.
 */
export async function findDueDigests(
  prisma: PrismaClient,
  now: Date,
): Promise<{ userId: string; period: string }[]> {
  const users = await prisma.user.findMany({
    where: { digestPaused: false, accounts: { some: {} } },
    select: { id: true, digestDay: true, digestHour: true, timeZone: true, createdAt: true },
  });
  const due = users
    .map((user) => ({ user, ...lastDueAt(user, now) }))
    .filter(({ user, at }) => at.getTime() >= user.createdAt.getTime());
  if (due.length === 0) return [];
  const settled = await prisma.digest.findMany({
    where: {
      userId: { in: due.map((d) => d.user.id) },
      period: { in: [...new Set(due.map((d) => d.period))] },
      status: { in: [DigestStatus.SENT, DigestStatus.FAILED, DigestStatus.EMPTY] },
    },
    select: { userId: true, period: true },
  });
  const done = new Set(settled.map((d) => `${d.userId}/${d.period}`));
  return due
    .filter((d) => !done.has(`${d.user.id}/${d.period}`))
    .map((d) => ({ userId: d.user.id, period: d.period }));
}
