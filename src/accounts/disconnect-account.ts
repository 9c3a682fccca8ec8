import { refreshContacts } from '../contacts/contact-store.ts';
import type { AppContext } from '../lib/context.ts';
import type { MailAccount } from '../lib/prisma.ts';
import { type RevokeOutcome, revokeToken } from '../oauth/revoke-token.ts';
import { providerDefinition } from '../providers/create-provider.ts';
import { unscheduleAccountSync } from '../queues/queues.ts';
import { ownAddresses } from './account-store.ts';

export interface Disconnected {
  email: string;
  provider: MailAccount['provider'];
  revoke: RevokeOutcome;
}

/**
 * Disconnects one of a user's mailboxes: revokes its token at the provider where it can, stops
 * its sync, deletes the account with its interactions, and recomputes the user's contacts from
 * the mail that is left. Null when the user has no such account (the caller answers 404).
 */
export async function disconnectAccount(
  ctx: AppContext,
  userId: string,
  accountId: string,
): Promise<Disconnected | null> {
  const account = await ctx.prisma.mailAccount.findFirst({ where: { id: accountId, userId } });
  if (!account) return null;
  const revoke = await revokeAccountToken(ctx, account);
  await unscheduleAccountSync(ctx.queues(), account.id);
  await ctx.prisma.$transaction([
    ctx.prisma.digestReply.deleteMany({ where: { accountId: account.id } }),
    // Interactions go with the account (onDelete: Cascade).
    ctx.prisma.mailAccount.delete({ where: { id: account.id } }),
  ]);
  await recomputeContacts(ctx, userId);
  ctx.log.info(
    { event: 'account.disconnected', accountId: account.id, provider: account.provider, revoke },
    'account disconnected',
  );
  return { email: account.email, provider: account.provider, revoke };
}

/** Revokes the account's refresh token (which also ends its access tokens at Google). */
export async function revokeAccountToken(
  ctx: AppContext,
  account: Pick<MailAccount, 'id' | 'provider' | 'refreshTokenEnc'>,
): Promise<RevokeOutcome> {
  if (!account.refreshTokenEnc) return 'already-invalid';
  let settings: ReturnType<typeof providerDefinition>['oauth'];
  try {
    settings = providerDefinition(account.provider, ctx.config).oauth;
  } catch {
    // The provider is no longer configured here: nothing to call; the token is deleted anyway.
    return 'failed';
  }
  if (!settings.revokeUrl) return 'unsupported';
  let token: string;
  try {
    token = ctx.cipher.decrypt(account.refreshTokenEnc, account.id);
  } catch {
    // Stored under a key this process lacks: it cannot be sent, only deleted.
    return 'failed';
  }
  return revokeToken(settings, token);
}

/** Every contact's aggregates from the interactions left; contacts with no exchange left go. */
async function recomputeContacts(ctx: AppContext, userId: string): Promise<void> {
  const addresses = await ctx.prisma.contactAddress.findMany({
    where: { userId },
    select: { address: true },
  });
  await refreshContacts(
    ctx.prisma,
    userId,
    addresses.map((a) => a.address),
    { groupSizeLimit: ctx.config.GROUP_SIZE_LIMIT, own: await ownAddresses(ctx.prisma, userId) },
  );
}
