import type { AppContext } from '../lib/context.ts';
import { providerRequestRecorder } from '../lib/metrics.ts';
import { AccountStatus, type MailAccount } from '../lib/prisma.ts';
import { lock } from '../lib/redis-lock.ts';
import { type AccessTokenSource, createAccessTokenSource } from '../oauth/token-manager.ts';
import { providerDefinition } from '../providers/create-provider.ts';
import type { MailProvider } from '../providers/types.ts';
import { createTokenStore } from './account-store.ts';

/** The provider client for one connected account, with its tokens refreshed as needed. */
export function providerForAccount(
  ctx: AppContext,
  account: Pick<MailAccount, 'id' | 'provider' | 'scopes'>,
): MailProvider {
  const definition = providerDefinition(account.provider, ctx.config);
  const tokens = accessTokensForAccount(ctx, account);
  // One budget per mailbox, in Redis: every worker process spends from the same bucket.
  return definition.create(tokens, account.scopes, {
    budget: { redis: ctx.redis(), key: `${ctx.config.QUEUE_PREFIX}:quota:${account.id}` },
    onRequest: providerRequestRecorder(ctx.redis(), ctx.config.QUEUE_PREFIX, account.provider, ctx.log),
    readAhead: { store: ctx.readAhead, key: account.id },
  });
}

/**
 * The account's access tokens, refreshed before expiry, one refresh at a time across every
 * process (a lease in Redis): the others then find the fresh token in the database.
 */
export function accessTokensForAccount(
  ctx: AppContext,
  account: Pick<MailAccount, 'id' | 'provider'>,
): AccessTokenSource {
  return createAccessTokenSource(
    account.id,
    providerDefinition(account.provider, ctx.config).oauth,
    createTokenStore(ctx.prisma, ctx.cipher),
    Date.now,
    async (accountId) => {
      // Renewed while its holder lives; a holder killed mid-refresh blocks the others 10 s at most.
      const held = await lock(ctx.redis(), `${ctx.config.QUEUE_PREFIX}:lock:refresh:${accountId}`, {
        ttlMs: 10_000,
      });
      return () => held.release();
    },
  );
}

/** Whether any of the user's working mailboxes holds a message with this Message-ID. */
export function mailboxFinder(ctx: AppContext): (userId: string, messageId: string) => Promise<boolean> {
  return async (userId, messageId) => {
    const accounts = await ctx.prisma.mailAccount.findMany({
      where: { userId, status: AccountStatus.ACTIVE },
    });
    for (const account of accounts) {
      if (await providerForAccount(ctx, account).hasMessageId(messageId)) return true;
    }
    return false;
  };
}
