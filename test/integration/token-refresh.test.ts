import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerForAccount } from '../../src/accounts/account-provider.ts';
import { createTokenStore } from '../../src/accounts/account-store.ts';
import type { AppContext } from '../../src/lib/context.ts';
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
});
