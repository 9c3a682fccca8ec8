import { AppError } from '../lib/errors.ts';
import { AccountStatus, type MailAccount, type PrismaClient, type User } from '../lib/prisma.ts';
import type { TokenCipher } from '../lib/token-cipher.ts';
import { canonicalAddress } from '../mail/canonical-address.ts';
import type { TokenSet } from '../oauth/oauth-client.ts';
import type { TokenStore } from '../oauth/token-manager.ts';

/** Tokens for the token manager, decrypted on the way out and encrypted on the way in. */
export function createTokenStore(prisma: PrismaClient, cipher: TokenCipher): TokenStore {
  return {
    async load(accountId) {
      const account = await prisma.mailAccount.findUnique({ where: { id: accountId } });
      if (!account?.refreshTokenEnc) {
        throw new AppError('ACCOUNT_NOT_CONNECTED', 'this account has no stored token; connect it again', {
          context: { accountId },
        });
      }
      return {
        refreshToken: cipher.decrypt(account.refreshTokenEnc, account.id),
        accessToken: account.accessTokenEnc ? cipher.decrypt(account.accessTokenEnc, account.id) : null,
        expiresAt: account.accessTokenExpiresAt,
        grant: account.refreshTokenEnc,
      };
    },
    async save(accountId, tokens) {
      await prisma.mailAccount.update({
        where: { id: accountId },
        data: encryptedTokens(cipher, accountId, tokens),
      });
    },
    async markNeedsReconnect(accountId, reason, grant) {
      await markNeedsReconnect(prisma, { id: accountId, refreshTokenEnc: grant }, reason);
    },
  };
}

/**
 * The account needs reconnecting (`reason` says why, in words the user can act on), unless it
 * was connected again since `account` was read: work that started on the old grant and failed
 * on it late must not undo the reconnect. A connection always stores a new refresh token, so its
 * ciphertext (a fresh IV each time) names the grant. Returns whether the account was marked.
 */
export async function markNeedsReconnect(
  prisma: PrismaClient,
  account: Pick<MailAccount, 'id' | 'refreshTokenEnc'>,
  reason: string,
  also: { lastSyncError?: string } = {},
): Promise<boolean> {
  const { count } = await prisma.mailAccount.updateMany({
    where: sameGrant(account),
    data: { status: AccountStatus.NEEDS_RECONNECT, statusReason: reason, accessTokenEnc: null, ...also },
  });
  return count > 0;
}

/** Whether the account still holds the grant it had when `account` was read (no reconnect since). */
export async function holdsSameGrant(
  prisma: PrismaClient,
  account: Pick<MailAccount, 'id' | 'refreshTokenEnc'>,
): Promise<boolean> {
  return (await prisma.mailAccount.count({ where: sameGrant(account) })) > 0;
}

/** The account row while it still holds this grant. */
function sameGrant(account: Pick<MailAccount, 'id' | 'refreshTokenEnc'>) {
  return { id: account.id, refreshTokenEnc: account.refreshTokenEnc };
}

/** Token columns for a token set; a missing refresh token never overwrites the stored one. */
export function encryptedTokens(cipher: TokenCipher, accountId: string, tokens: TokenSet) {
  return {
    accessTokenEnc: cipher.encrypt(tokens.accessToken, accountId),
    accessTokenExpiresAt: tokens.expiresAt,
    ...(tokens.refreshToken ? { refreshTokenEnc: cipher.encrypt(tokens.refreshToken, accountId) } : {}),
  };
}

/**
 * The user a command means: the one with that address (as user or connected account), or,
 * with no address given, the only user there is.
 */
export async function resolveUser(prisma: PrismaClient, email?: string): Promise<User> {
  if (email) {
    const address = email.trim().toLowerCase();
    const user =
      (await prisma.user.findUnique({ where: { email: address } })) ??
      (await prisma.mailAccount.findFirst({ where: { email: address }, include: { user: true } }))?.user;
    if (!user)
      throw new AppError(
        'USER_NOT_FOUND',
        `no user ${address}: connect an account first (touchbase connect gmail)`,
      );
    return user;
  }
  const users = await prisma.user.findMany({ take: 2, orderBy: { createdAt: 'asc' } });
  if (users.length === 0)
    throw new AppError('USER_NOT_FOUND', 'no user yet: connect an account first (touchbase connect gmail)');
  if (users.length > 1)
    throw new AppError('USER_AMBIGUOUS', 'there is more than one user: say which with --user EMAIL');
  return users[0] as User;
}

/** Every address that is the user's own: account addresses, aliases and the user's address. */
export async function ownAddresses(prisma: PrismaClient, userId: string): Promise<Set<string>> {
  const user = await prisma.user.findUniqueOrThrow({ where: { id: userId }, include: { accounts: true } });
  const own = new Set<string>([user.email.toLowerCase()]);
  for (const account of user.accounts) {
    own.add(account.email.toLowerCase());
    for (const alias of account.aliases) own.add(alias.toLowerCase());
  }
  // Gmail variants of an own address (dots, +tags, googlemail.com) are the user too.
  for (const address of [...own]) own.add(canonicalAddress(address));
  return own;
}

export async function findAccount(prisma: PrismaClient, email: string): Promise<MailAccount> {
  const account = await prisma.mailAccount.findFirst({ where: { email: email.trim().toLowerCase() } });
  if (!account)
    throw new AppError('ACCOUNT_NOT_FOUND', `no connected account ${email}: see touchbase accounts`);
  return account;
}
