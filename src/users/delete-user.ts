import { revokeAccountToken } from '../accounts/disconnect-account.ts';
import type { AppContext } from '../lib/context.ts';
import type { RevokeOutcome } from '../oauth/revoke-token.ts';
import { unscheduleAccountSync } from '../queues/queues.ts';

export interface DeletedUser {
  accounts: { email: string; provider: string; revoke: RevokeOutcome }[];
}

/**
 * Deletes a user and everything touchbase holds about them: every relation of User cascades
 * (accounts, interactions, contacts and their addresses, digests, replies, dismissals), so one
 * delete removes it all. Tokens are revoked first, while they can still be read; the queue
 * schedules go too, so no job wakes up for a user who is gone. Null when there is no such user.
 */
export async function deleteUserData(ctx: AppContext, userId: string): Promise<DeletedUser | null> {
  const user = await ctx.prisma.user.findUnique({ where: { id: userId }, include: { accounts: true } });
  if (!user) return null;
  const accounts: DeletedUser['accounts'] = [];
  for (const account of user.accounts) {
    accounts.push({
      email: account.email,
      provider: account.provider,
      revoke: await revokeAccountToken(ctx, account),
    });
    await unscheduleAccountSync(ctx.queues(), account.id);
  }
  await ctx.queues().digest.removeJobScheduler(`digest:${user.id}`);
  await ctx.prisma.user.delete({ where: { id: user.id } });
  ctx.log.info({ event: 'user.deleted', userId, accounts: accounts.length }, 'user data deleted');
  return { accounts };
}
