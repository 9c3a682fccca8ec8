import { randomUUID } from 'node:crypto';
import { encryptedTokens, ownAddresses } from '../accounts/account-store.ts';
import { pendingReplies, queueRepliesAgain } from '../commands/pending-digest-replies.ts';
import type { AppContext } from '../lib/context.ts';
import { AppError } from '../lib/errors.ts';
import { AccountStatus, type MailAccount, type User } from '../lib/prisma.ts';
import { providerDefinition } from '../providers/create-provider.ts';
import type { ProviderName } from '../providers/types.ts';
import { enqueueSync, scheduleAccountSync, scheduleUserDigest } from '../queues/queues.ts';
import { judgeAgainAsOwn } from '../sync/store-interactions.ts';
import { runLoopbackFlow } from './loopback-flow.ts';
import { missingScopes, type TokenSet } from './oauth-client.ts';

export interface ConnectOptions {
  /** The touchbase user to add the account to; default: the only user, or a new one. */
  userEmail?: string | undefined;
  onAuthorizeUrl: (url: string) => void | Promise<void>;
  timeoutMs?: number;
}

/**
 * Connect once: consent in the browser, check the grant, learn the mailbox's address, store the
 * tokens encrypted and schedule the sync. Nothing is stored unless every step succeeded.
 */
export async function connectAccount(
  ctx: AppContext,
  provider: ProviderName,
  options: ConnectOptions,
): Promise<{ user: User; account: MailAccount; created: boolean }> {
  const definition = providerDefinition(provider, ctx.config);
  const tokens = await runLoopbackFlow(definition.oauth, {
    onAuthorizeUrl: options.onAuthorizeUrl,
    loginHint: options.userEmail,
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
  return completeConnection(ctx, provider, tokens, { userEmail: options.userEmail });
}

/**
 * Who a newly connected mailbox belongs to. The CLI names a user by address (or means the only
 * one); the web app adds it to the signed-in user, or else to the mailbox's own user.
 */
export type AccountOwner =
  | { userEmail?: string | undefined }
  | { signedInUserId: string | null; timeZone?: string | undefined };

/**
 * What the CLI's loopback flow and the web callback share once the provider handed over tokens:
 * check the grant, learn the mailbox's address, store the tokens encrypted, schedule the sync.
 */
export async function completeConnection(
  ctx: AppContext,
  provider: ProviderName,
  tokens: TokenSet,
  owner: AccountOwner,
): Promise<{ user: User; account: MailAccount; created: boolean }> {
  const definition = providerDefinition(provider, ctx.config);
  const missing = missingScopes(definition.oauth, tokens.scopes);
  if (missing.length > 0) {
    throw new AppError(
      'OAUTH_SCOPE_MISSING',
      `access was granted without ${missing.join(', ')}; connect again and leave every box ticked on the consent page`,
    );
  }
  if (!tokens.refreshToken) {
    throw new AppError(
      'OAUTH_NO_REFRESH_TOKEN',
      `${provider} gave no refresh token, so touchbase could not sync in the background and stored nothing. A provider issues one only when its consent page is shown and approved for offline access: remove touchbase from your account's third-party access (for Google: https://myaccount.google.com/connections), then connect again and approve every permission`,
    );
  }
  const profile = await definition
    .create({ getAccessToken: async () => tokens.accessToken }, tokens.scopes)
    .getProfile();
  const result = await storeAccount(ctx, provider, profile, tokens, owner);
  // Mail already stored from the user's other mailboxes to this one's addresses was to the user.
  await judgeAgainAsOwn(ctx.prisma, result.user.id, await ownAddresses(ctx.prisma, result.user.id));
  const queues = ctx.queues();
  await scheduleAccountSync(queues, result.account.id, ctx.config.SYNC_INTERVAL_MINUTES);
  await scheduleUserDigest(queues, result.user);
  await enqueueSync(queues, result.account.id, 'connect');
  if (!result.created) {
    // Connected again: replies to digests whose jobs stopped on the revoked grant go now, with
    // every round of attempts again.
    const { jobs } = await pendingReplies(ctx.prisma, [result.account.id]);
    await queueRepliesAgain(ctx.prisma, queues, jobs, { freshRounds: true });
  }
  ctx.log.info({ event: 'account.connected', accountId: result.account.id, provider }, 'account connected');
  return result;
}

async function storeAccount(
  ctx: AppContext,
  provider: ProviderName,
  profile: { email: string; aliases: string[] },
  tokens: TokenSet,
  owner: AccountOwner,
) {
  return ctx.prisma.$transaction(async (tx) => {
    const existing = await tx.mailAccount.findUnique({
      where: { provider_email: { provider, email: profile.email } },
      include: { user: true },
    });
    const user = existing?.user ?? (await chooseUser(tx, owner, profile.email));
    if (
      existing &&
      'userEmail' in owner &&
      owner.userEmail &&
      existing.user.email !== owner.userEmail.toLowerCase()
    ) {
      throw new AppError(
        'ACCOUNT_OWNED',
        `${profile.email} is already connected for another user (${existing.user.email})`,
      );
    }
    if (
      existing &&
      'signedInUserId' in owner &&
      owner.signedInUserId &&
      existing.userId !== owner.signedInUserId
    ) {
      throw new AppError(
        'ACCOUNT_OWNED',
        `${profile.email} is already connected to another touchbase user: sign out, then connect it again to sign in as that user`,
      );
    }
    const id = existing?.id ?? randomUUID();
    const data = {
      status: AccountStatus.ACTIVE,
      statusReason: null,
      scopes: tokens.scopes,
      // Connected again: an alias learnt from its Sent mail stays the user's (its mail was theirs).
      aliases: [...new Set([...(existing?.aliases ?? []), ...profile.aliases])],
      ...encryptedTokens(ctx.cipher, id, tokens),
    };
    const account = existing
      ? await tx.mailAccount.update({ where: { id }, data })
      : await tx.mailAccount.create({
          data: { id, userId: user.id, provider, email: profile.email, ...data },
        });
    return { user, account, created: !existing };
  });
}

type Tx = Parameters<Parameters<AppContext['prisma']['$transaction']>[0]>[0];

async function chooseUser(tx: Tx, owner: AccountOwner, accountEmail: string): Promise<User> {
  if ('signedInUserId' in owner) {
    if (owner.signedInUserId) return tx.user.findUniqueOrThrow({ where: { id: owner.signedInUserId } });
    // Signed out and a mailbox nobody connected: its own user (who may have disconnected it before).
    return (
      (await tx.user.findUnique({ where: { email: accountEmail } })) ??
      (await tx.user.create({ data: { email: accountEmail, timeZone: owner.timeZone ?? 'UTC' } }))
    );
  }
  const userEmail = owner.userEmail;
  if (userEmail) {
    const email = userEmail.trim().toLowerCase();
    return (
      (await tx.user.findUnique({ where: { email } })) ??
      (await tx.user.create({ data: { email, timeZone: localTimeZone() } }))
    );
  }
  const users = await tx.user.findMany({ take: 2 });
  if (users.length === 1) return users[0] as User;
  if (users.length > 1) {
    throw new AppError('USER_AMBIGUOUS', 'there is more than one user: say which with --user EMAIL');
  }
  return tx.user.create({ data: { email: accountEmail, timeZone: localTimeZone() } });
}

function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}
