import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerForAccount } from '../../src/accounts/account-provider.ts';
import { createTokenStore } from '../../src/accounts/account-store.ts';
import type { AppContext } from '../../src/lib/context.ts';
import { AccountStatus } from '../../src/lib/prisma.ts';
import { createAccessTokenSource, type TokenStore } from '../../src/oauth/token-manager.ts';
import { providerDefinition } from '../../src/providers/create-provider.ts';
import { buildThreadedMailbox } from '../fixtures/threaded-mailbox.ts';
import { startSupportProcess } from '../support/support-process.ts';
import { connectFake, startTestEnv, syncOnce, type TestEnv } from '../support/test-env.ts';

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
    await storedTokenExpiresIn(env, accountId, -60_000);
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
    const expireAccessToken = () => storedTokenExpiresIn(env, accountId, -60_000);
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

describe('the token lifecycle through the real refresh path', () => {
  const OWNER = 'kim@example.com';
  const mailbox = buildThreadedMailbox({
    owner: OWNER,
    now: new Date(),
    threads: 40,
    perThread: 1,
    shape: 'singletons',
  });
  let env: TestEnv;
  let ctx: AppContext;
  let accountId: string;

  beforeAll(async () => {
    env = await startTestEnv({ owner: OWNER, messages: mailbox, fake: { logRequests: true } });
    ctx = env.context();
    accountId = (await connectFake(ctx)).account.id;
  });
  afterAll(async () => {
    await env?.close();
  });

  const account = () => env.db.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
  const stored = () => createTokenStore(env.db.prisma, ctx.cipher).load(accountId);
  const expiresIn = (ms: number) => storedTokenExpiresIn(env, accountId, ms);
  // A provider of its own each time, as each sync job has: no access token held in memory.
  const profile = async () => providerForAccount(ctx, await account()).getProfile();
  const refreshGrants = () => env.fake.stats.tokenGrants.refresh_token;
  const requests = (endpoint: string) => env.fake.stats.byEndpoint[endpoint] ?? 0;

  it('keeps the stored refresh token when a refresh answers an empty one, and refreshes with it again', async () => {
    const before = await stored();
    env.fake.setEmptyRefreshToken(['refresh_token']);
    try {
      await expiresIn(-60_000);
      const grants = refreshGrants();
      expect((await profile()).email).toBe(OWNER);
      expect(refreshGrants() - grants).toBe(1);
      const after = await stored();
      expect(after.accessToken).not.toBe(before.accessToken);
      expect(after.refreshToken).toBe(before.refreshToken);
      // Not even written again: the stored ciphertext (which names the grant) is the same.
      expect(after.grant).toBe(before.grant);
    } finally {
      env.fake.setEmptyRefreshToken([]);
    }
    // The next refresh redeems the original refresh token, which the fake still knows.
    await expiresIn(-60_000);
    const grants = refreshGrants();
    expect((await profile()).email).toBe(OWNER);
    expect(refreshGrants() - grants).toBe(1);
    expect((await stored()).refreshToken).toBe(before.refreshToken);
  });

  it('refuses a connection that brings no refresh token, saying what to do, and keeps the stored grant', async () => {
    const before = await account();
    env.fake.setEmptyRefreshToken(['authorization_code']);
    try {
      await expect(connectFake(ctx)).rejects.toMatchObject({
        code: 'OAUTH_NO_REFRESH_TOKEN',
        message: expect.stringMatching(/gave no refresh token.*stored nothing.*connect again/s),
      });
    } finally {
      env.fake.setEmptyRefreshToken([]);
    }
    const after = await account();
    expect(after.refreshTokenEnc).toBe(before.refreshTokenEnc);
    expect(after.status).toBe(AccountStatus.ACTIVE);
    expect(await env.db.prisma.mailAccount.count()).toBe(1);
    expect((await profile()).email).toBe(OWNER);
  });

  it('refreshes a stored access token that expires within five minutes before using it', async () => {
    await expiresIn(4 * 60_000);
    // Google would still take it for four minutes; the fake refuses it now, so a request that
    // carried it would be refused (401) and sent again: one profile request shows it was not.
    env.fake.expireAccessTokens();
    const before = await stored();
    const grants = refreshGrants();
    const profiles = requests('users.getProfile');
    expect((await profile()).email).toBe(OWNER);
    expect(refreshGrants() - grants).toBe(1);
    expect(requests('users.getProfile') - profiles).toBe(1);
    const after = await stored();
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.expiresAt?.getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
  });

  it('uses a stored access token that expires in more than five minutes as it is', async () => {
    await expiresIn(6 * 60_000);
    const before = await stored();
    const grants = refreshGrants();
    const profiles = requests('users.getProfile');
    expect((await profile()).email).toBe(OWNER);
    expect(refreshGrants() - grants).toBe(0);
    expect(requests('users.getProfile') - profiles).toBe(1);
    expect((await stored()).accessToken).toBe(before.accessToken);
  });

  it('refreshes once when Google refuses the access token (401), tries again, and the sync stores every message', async () => {
    await expiresIn(60 * 60_000);
    // By its stored expiry the token is good for an hour, but Google no longer takes it.
    env.fake.expireAccessTokens();
    const grants = refreshGrants();
    const from = env.fake.requestLog.length;
    const result = await syncOnce(ctx, accountId);
    expect(refreshGrants() - grants).toBe(1);
    const answers = env.fake.requestLog.slice(from);
    expect(answers.filter((r) => r.status === 401)).toHaveLength(1);
    expect(answers.every((r) => r.status === 200 || r.status === 401)).toBe(true);
    expect(result.stored).toBe(mailbox.length);
    const ids = await env.db.prisma.interaction.findMany({
      where: { accountId },
      select: { providerMessageId: true },
    });
    expect(ids.map((r) => r.providerMessageId).sort()).toEqual(mailbox.map((m) => m.id).sort());
    const synced = await account();
    expect(synced.status).toBe(AccountStatus.ACTIVE);
    expect(synced.backfillDoneAt).not.toBeNull();
  });

  it('a refusal again right after the refresh ends the run (AUTH_REVOKED): no second refresh, no loop', async () => {
    // The backfill is done: the next run reads the history, which Google refuses twice.
    env.fake.injectFault({ path: /\/history\?/, status: 401, times: 2 });
    const grants = refreshGrants();
    const from = env.fake.requestLog.length;
    await expect(syncOnce(ctx, accountId)).rejects.toMatchObject({ code: 'AUTH_REVOKED' });
    expect(refreshGrants() - grants).toBe(1);
    const history = env.fake.requestLog.slice(from).filter((r) => r.endpoint === 'users.history.list');
    expect(history.map((r) => r.status)).toEqual([401, 401]);
    // Nothing goes on behind the failed run.
    const seen = env.fake.stats.requests;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(env.fake.stats.requests).toBe(seen);
  });
});

describe('one refresh across real worker processes', () => {
  const OWNER = 'ola@example.com';
  let env: TestEnv;
  let ctx: AppContext;
  let accountId: string;

  beforeAll(async () => {
    // Each refresh takes 300 ms to answer: refreshes that were not kept apart would overlap.
    env = await startTestEnv({ owner: OWNER, fake: { tokenDelayMs: 300 } });
    ctx = env.context();
    accountId = (await connectFake(ctx)).account.id;
  });
  afterAll(async () => {
    await env?.close();
  });

  it('two processes needing a refresh at the same moment share one: one grant, the same valid token', async () => {
    await storedTokenExpiresIn(env, accountId, -60_000);
    const workers = [refreshProcess(accountId, env.env), refreshProcess(accountId, env.env)];
    await Promise.all(workers.map((w) => w.ready));
    const grants = env.fake.stats.tokenGrants.refresh_token;
    for (const w of workers) w.go();
    const results = await Promise.all(workers.map((w) => w.exited));

    for (const r of results) expect(r.code, r.stderr).toBe(0);
    expect(env.fake.stats.tokenGrants.refresh_token - grants).toBe(1);
    const { accessToken } = await createTokenStore(env.db.prisma, ctx.cipher).load(accountId);
    const fingerprint = createHash('sha256')
      .update(accessToken ?? '')
      .digest('hex');
    // Each process proved the token with a Gmail call (its profile) before printing it.
    const said = results.map((r) => JSON.parse(r.stdout.trim().split('\n').at(-1) ?? 'null'));
    expect(said).toEqual([
      { email: OWNER, token: fingerprint },
      { email: OWNER, token: fingerprint },
    ]);
  }, 60_000);
});

/** Sets when the stored access token expires, `ms` from now (negative: it already has). */
function storedTokenExpiresIn(env: TestEnv, accountId: string, ms: number) {
  return env.db.prisma.mailAccount.update({
    where: { id: accountId },
    data: { accessTokenExpiresAt: new Date(Date.now() + ms) },
  });
}

/**
 * test/support/refresh-process.ts in a Node process of its own: `ready` once it is connected,
 * `go()` lets it ask for the token.
 */
function refreshProcess(accountId: string, env: Record<string, string>) {
  const { child, output, exited } = startSupportProcess('refresh-process.ts', [accountId], env, {
    stdin: true,
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', () => {
      if (output.stdout.startsWith('ready\n')) resolve();
    });
    exited.then((r) => reject(new Error(`exited before ready (${r.code}): ${r.stderr}`)), reject);
  });
  return { ready, exited, go: () => child.stdin?.end('go\n') };
}
