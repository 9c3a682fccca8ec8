/**
 * A worker process that needs the account's access token when its parent says so, for the test
 * of one refresh across processes. Prints "ready" once its database and Redis connections are up,
 * waits for a line on stdin, takes a token from the account's token source (as a sync job does),
 * proves it with a Gmail call, and prints one JSON line: the mailbox's address and a fingerprint
 * of the token (not the token: output may end up in a CI log). Settings come from the
 * environment, as for `touchbase worker`.
 *
 *   node --import tsx test/support/refresh-process.ts <accountId>
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { accessTokensForAccount } from '../../src/accounts/account-provider.ts';
import { parseConfig } from '../../src/config/config.ts';
import { createContext } from '../../src/lib/context.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { providerDefinition } from '../../src/providers/create-provider.ts';

const accountId = process.argv[2];
if (!accountId) throw new Error('usage: node --import tsx test/support/refresh-process.ts <accountId>');
const config = parseConfig(process.env);
const ctx = createContext(config, { log: createLogger(config.LOG_LEVEL) });
try {
  const account = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
  await ctx.redis().ping();
  console.log('ready');
  // The go signal; stdin closed without one (the parent died) ends this process too.
  const go = await Promise.race([
    once(process.stdin, 'data').then(() => true),
    once(process.stdin, 'end').then(() => false),
  ]);
  if (!go) throw new Error('stdin closed before the go signal');
  const token = await accessTokensForAccount(ctx, account).getAccessToken();
  const profile = await providerDefinition(account.provider, config)
    .create({ getAccessToken: async () => token }, account.scopes)
    .getProfile();
  // sha256, as the parent computes it for the stored token.
  const fingerprint = createHash('sha256').update(token).digest('hex');
  console.log(JSON.stringify({ email: profile.email, token: fingerprint }));
} finally {
  process.stdin.destroy();
  await ctx.close();
}
