import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerForAccount } from '../../src/accounts/account-provider.ts';
import { createTokenStore } from '../../src/accounts/account-store.ts';
import type { AppContext } from '../../src/lib/context.ts';
import { AccountStatus } from '../../src/lib/prisma.ts';
import { createAccessTokenSource, type TokenStore } from '../../src/oauth/token-manager.ts';
import { providerDefinition } from '../../src/providers/create-provider.ts';
import { connectFake, startTestEnv, type TestEnv } from '../support/test-env.ts';

describe('access tokens across worker processes', () => {
  let env: TestEnv;
  let accountId: string;
  let first: AppContext;

  beforeAll(async () => {
    env = await startTestEnv({ owner: 'sam@example.com', messages: [] });
    first = env.context();
    accountId = (await connectFake(first)).account.id;
  });
  afterAll(async () => {
    await env?.close();
  });

  it('refreshes an expired token once, however many processes need it at the same moment', async () => {
    await env.db.prisma.mailAccount.update({
      where: { id: accountId },
      data: { accessTokenExpiresAt: new Date(Date.now() - 60_000) },
    });
    const before = env.fake.stats.tokenGrants.refresh_token;
    // Three processes: each has its own database and Redis connections.
    const processes = [first, env.context(), env.context()];
    const account = await env.db.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    const profiles = await Promise.all(processes.map((ctx) => providerForAccount(ctx, account).getProfile()));
    expect(profiles.map((p) => p.email)).toEqual(['sam@example.com', 'sam@example.com', 'sam@example.com']);
    expect(env.fake.stats.tokenGrants.refresh_token - before).toBe(1);
  });

  it('keeps the stored refresh token when a refresh returns none (Google does not rotate)', async () => {
    const store = createTokenStore(env.db.prisma, first.cipher);
    const { refreshToken } = await store.load(accountId);
    await store.save(accountId, {
      accessToken: 'a-new-access-token',
      expiresAt: new Date(),
      refreshToken: null,
      scopes: [],
    });
    expect((await store.load(accountId)).refreshToken).toBe(refreshToken);
  });

  it('a grant refused after the account was connected again leaves it connected; refused with no reconnect, it needs one', async () => {
    const oauth = providerDefinition('gmail', first.config).oauth;
    const store = createTokenStore(env.db.prisma, first.cipher);
    const status = async () =>
      (await env.db.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } })).status;
    const expireAccessToken = () =>
      env.db.prisma.mailAccount.update({
        where: { id: accountId },
        data: { accessTokenExpiresAt: new Date(Date.now() - 60_000) },
      });
    env.fake.revokeRefreshTokens();
    await expireAccessToken();
    // The user connects the account again while the refresh of the old grant is on its way: after
    // the refresh read the grant (the second read; the first only finds the access token expired).
    let loads = 0;
    const racing: TokenStore = {
      ...store,
      async load(id) {
        const stored = await store.load(id);
        if (++loads === 2) await connectFake(first);
        return stored;
      },
    };
    await expect(createAccessTokenSource(accountId, oauth, racing).getAccessToken()).rejects.toMatchObject({
      code: 'AUTH_REVOKED',
    });
    expect(await status()).toBe(AccountStatus.ACTIVE);
    const account = await env.db.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    expect((await providerForAccount(first, account).getProfile()).email).toBe('sam@example.com');

    env.fake.revokeRefreshTokens();
    await expireAccessToken();
    await expect(createAccessTokenSource(accountId, oauth, store).getAccessToken()).rejects.toMatchObject({
      code: 'AUTH_REVOKED',
    });
    expect(await status()).toBe(AccountStatus.NEEDS_RECONNECT);
  });
});
