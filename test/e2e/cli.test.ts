import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createTokenCipher } from '../../src/lib/token-cipher.ts';
import { buildSampleMailbox, SAMPLE_OWNER } from '../fixtures/sample-mailbox.ts';
import { actLikeBrowser } from '../support/act-like-browser.ts';
import { runCli, startCli } from '../support/run-cli.ts';
import { startTestEnv, type TestEnv } from '../support/test-env.ts';

const sample = buildSampleMailbox({
  owner: SAMPLE_OWNER.email,
  ownerName: SAMPLE_OWNER.name,
  now: new Date(),
});
const URL_LINE = /Open this URL to connect: (\S+)/;

describe('touchbase CLI, as a user drives it', () => {
  let env: TestEnv;

  beforeAll(async () => {
    env = await startTestEnv({ owner: SAMPLE_OWNER.email, messages: sample.messages });
  });
  afterAll(async () => {
    await env?.close();
  });

  const counts = async () => ({
    users: await env.db.prisma.user.count(),
    accounts: await env.db.prisma.mailAccount.count(),
  });

  it('stores nothing when consent is denied', async () => {
    env.fake.setConsent('deny');
    const run = startCli(['connect', 'gmail', '--no-browser'], env.env);
    const [, url] = await run.waitForLine(URL_LINE);
    await actLikeBrowser(url as string);
    const result = await run.exit;
    env.fake.setConsent('approve');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/not granted/);
    expect(await counts()).toEqual({ users: 0, accounts: 0 });
  });

  it('refuses an answer carrying another state', async () => {
    const run = startCli(['connect', 'gmail', '--no-browser'], env.env);
    const [, url] = await run.waitForLine(URL_LINE);
    const forged = new URL(url as string);
    forged.searchParams.set('state', 'forged-state');
    await actLikeBrowser(forged.toString());
    const result = await run.exit;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/state mismatch/);
    expect(await counts()).toEqual({ users: 0, accounts: 0 });
  });

  it('gives up with a clear message when nobody answers the consent page', async () => {
    const result = await runCli(['connect', 'gmail', '--no-browser', '--timeout', '1'], env.env);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/no answer from the consent page within 1 s/);
    expect(await counts()).toEqual({ users: 0, accounts: 0 });
  });

  it('connects once with PKCE and stores the refresh token encrypted', async () => {
    const run = startCli(['connect', 'gmail', '--no-browser'], env.env);
    const [, url] = await run.waitForLine(URL_LINE);
    const authorize = new URL(url as string);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    const landing = await actLikeBrowser(url as string);
    expect(landing.body).toMatch(/Connected/);
    const result = await run.exit;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`Connected ${SAMPLE_OWNER.email}`));

    const account = await env.db.prisma.mailAccount.findFirstOrThrow();
    expect(account.email).toBe(SAMPLE_OWNER.email);
    expect(account.refreshTokenEnc).toMatch(/^v1\.[0-9a-f]{8}\./);
    const refreshToken = createTokenCipher([env.env.TOUCHBASE_SECRET as string]).decrypt(
      account.refreshTokenEnc as string,
      account.id,
    );
    expect(refreshToken.length).toBeGreaterThan(10);
    expect(account.refreshTokenEnc).not.toContain(refreshToken);
    expect(env.fake.stats.tokenGrants.authorization_code).toBe(1);

    // Nothing read yet: the list says why it is empty and that it is not whole.
    const contacts = await runCli(['contacts'], env.env);
    expect(contacts.stdout).toContain('No contacts yet');
    expect(contacts.stdout).toContain(`touchbase has not started reading ${SAMPLE_OWNER.email} yet.`);
  });

  // Five CLI processes and a worker, each starting TypeScript through tsx: slow on a busy machine.
  it('syncs with --wait through a running worker, then lists contacts and the digest', async () => {
    const worker = startCli(['worker'], env.env);
    try {
      const sync = await runCli(['sync', '--wait'], env.env);
      expect(sync.stderr).toBe('');
      expect(sync.code).toBe(0);
      expect(sync.stdout).toMatch(/synced/);

      const contacts = await runCli(['contacts', '--json'], env.env);
      expect(contacts.code).toBe(0);
      const list = JSON.parse(contacts.stdout) as Record<string, unknown>[];
      expect(list.length).toBeGreaterThan(3);
      expect(Object.keys(list[0] ?? {})).toEqual(
        expect.arrayContaining([
          'name',
          'emails',
          'lastContactAt',
          'lastSentAt',
          'lastReceivedAt',
          'sentCount',
          'receivedCount',
          'status',
          'snoozedUntil',
        ]),
      );
      const lapsed = list.filter((c) => c.status === 'lapsed').flatMap((c) => c.emails as string[]);
      expect(lapsed).toEqual(expect.arrayContaining(sample.expected.lapsed));

      const preview = await runCli(['digest', 'preview', '--json'], env.env);
      expect(preview.code).toBe(0);
      const digest = JSON.parse(preview.stdout) as {
        items: { n: number; kind: string; contact: { emails: string[] } }[];
      };
      expect(digest.items.map((i) => i.n)).toEqual(digest.items.map((_, index) => index + 1));
      const owed = digest.items.filter((i) => i.kind === 'owe-reply').flatMap((i) => i.contact.emails);
      expect(owed).toEqual(expect.arrayContaining(sample.expected.oweReply));

      const accounts = await runCli(['accounts', '--json'], env.env);
      const [account] = JSON.parse(accounts.stdout) as {
        status: string;
        backfill: string;
        messages: number;
      }[];
      expect(account?.status).toBe('ACTIVE');
      expect(account?.backfill).toBe('done');
      expect(account?.messages).toBeGreaterThan(100);
    } finally {
      worker.child.kill('SIGTERM');
    }
    const stopped = await worker.exit;
    expect(stopped.code).toBe(0);
  }, 180_000);

  it('shows a sync that failed as ERROR with its reason, until a sync succeeds', async () => {
    const email = SAMPLE_OWNER.email.replace(/\./g, '\\.');
    const reason = 'Gmail history.list: 400 failedPrecondition (Precondition check failed.)';
    // Every history.list fails while `failing` holds, whichever sync job asks (the scheduled one,
    // a manual one kept behind a running one): no retry helps a 400, so each run records why.
    let failing = true;
    onTestFinished(() => {
      failing = false;
    });
    const history = /\/history\?/;
    env.fake.injectFault({
      path: { test: (path: string) => failing && history.test(path) } as RegExp,
      status: 400,
      reason: 'failedPrecondition',
      message: 'Precondition check failed.',
      times: Number.MAX_SAFE_INTEGER,
    });
    const worker = startCli(['worker'], env.env);
    try {
      const failed = await runCli(['sync', '--wait'], env.env);
      expect(failed.stderr).toContain(reason);
      expect(failed.code).not.toBe(0);
    } finally {
      worker.child.kill('SIGTERM');
    }
    expect((await worker.exit).code).toBe(0);

    const broken = await runCli(['accounts'], env.env);
    expect(broken.code).toBe(0);
    expect(broken.stdout).toMatch(
      new RegExp(`^${email}\\s+gmail\\s+ERROR\\s+done\\s+\\d+\\s+(?:just now|\\d+ min ago)$`, 'm'),
    );
    expect(broken.stdout).toContain(
      `\n${SAMPLE_OWNER.email} did not sync: ${reason}\n  tried again at the next scheduled sync (touchbase worker), or now: touchbase sync --account ${SAMPLE_OWNER.email} --wait\n`,
    );
    // --json keeps the stored status and the reason apart, as before.
    const [stored] = JSON.parse((await runCli(['accounts', '--json'], env.env)).stdout) as {
      status: string;
      lastSyncError: string | null;
    }[];
    expect(stored).toMatchObject({ status: 'ACTIVE', lastSyncError: reason });

    // A worker started after the fault is gone: the sync it runs succeeds and clears the error.
    failing = false;
    const again = startCli(['worker'], env.env);
    try {
      const synced = await runCli(['sync', '--wait'], env.env);
      expect(synced.stderr).toBe('');
      expect(synced.code).toBe(0);
    } finally {
      again.child.kill('SIGTERM');
    }
    expect((await again.exit).code).toBe(0);
    const fine = await runCli(['accounts'], env.env);
    expect(fine.stdout).toMatch(
      new RegExp(`^${email}\\s+gmail\\s+ACTIVE\\s+done\\s+\\d+\\s+(?:just now|1 min ago)$`, 'm'),
    );
    expect(fine.stdout).not.toMatch(/ERROR|did not sync/);
  }, 120_000);

  it('serves health and readiness, and stops cleanly on SIGTERM', async () => {
    const server = startCli(['server'], { ...env.env, PORT: '0' });
    const [, base] = await server.waitForLine(/listening on (http:\/\/\S+)/);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    const body = (await ready.json()) as { status: string; checks: { name: string; ok: boolean }[] };
    expect(ready.status).toBe(200);
    expect(body.checks.map((c) => [c.name, c.ok])).toEqual([
      ['postgres', true],
      ['redis', true],
      ['migrations', true],
    ]);
    server.child.kill('SIGTERM');
    expect((await server.exit).code).toBe(0);
  });

  it('stops syncing an account whose access was revoked, without a retry loop, and says how to reconnect', async () => {
    env.fake.revokeRefreshTokens();
    const worker = startCli(['worker'], env.env);
    try {
      const sync = await runCli(['sync', '--wait'], env.env);
      expect(sync.code).not.toBe(0);
      expect(sync.stderr).toMatch(/reconnect/);
      const grants = env.fake.stats.tokenGrants.refresh_token;
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(env.fake.stats.tokenGrants.refresh_token).toBe(grants);
    } finally {
      worker.child.kill('SIGTERM');
    }
    expect((await worker.exit).code).toBe(0);

    // A reply to a digest whose job stopped on the revoked grant: the user is told it is not lost.
    const { id: accountId } = await env.db.prisma.mailAccount.findFirstOrThrow();
    await env.db.prisma.pendingDigestReply.create({
      data: { accountId, providerMessageId: 'reply-waiting', candidate: {}, failedRounds: 1 },
    });
    const accounts = await runCli(['accounts'], env.env);
    expect(accounts.stdout).toMatch(/NEEDS_RECONNECT/);
    expect(accounts.stdout).toMatch(/touchbase connect gmail --user alex\.rivera@example\.com/);
    expect(accounts.stdout).toMatch(/1 reply to a digest from it will be applied once it is connected again/);
    const listed = JSON.parse((await runCli(['accounts', '--json'], env.env)).stdout) as {
      pendingReplies: number;
    }[];
    expect(listed.map((a) => a.pendingReplies)).toEqual([1]);
    const preview = await runCli(['digest', 'preview', '--json'], env.env);
    const digest = JSON.parse(preview.stdout) as { notices: { email: string; fix: string }[] };
    expect(digest.notices).toEqual([
      expect.objectContaining({
        email: SAMPLE_OWNER.email,
        problem: expect.stringMatching(
          /Your reply to a digest is kept, and will be applied once you reconnect\.$/,
        ),
      }),
    ]);
    await env.db.prisma.pendingDigestReply.deleteMany();
    // Nothing is queued for a revoked account until the user reconnects.
    const again = await runCli(['sync'], env.env);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/no active account/);

    // Connected, with a reply whose round of attempts failed: when it goes again.
    await env.db.prisma.mailAccount.update({ where: { id: accountId }, data: { status: 'ACTIVE' } });
    await env.db.prisma.pendingDigestReply.create({
      data: {
        accountId,
        providerMessageId: 'reply-held',
        candidate: {},
        failedRounds: 2,
        retryAt: new Date('2026-11-24T11:00:00Z'),
      },
    });
    const held = await runCli(['accounts'], env.env);
    expect(held.stdout).toMatch(
      /1 reply to a digest not applied yet .*; tried again from 2026-11-24T11:00:00\.000Z/,
    );
    await env.db.prisma.pendingDigestReply.deleteMany();
    await env.db.prisma.mailAccount.update({ where: { id: accountId }, data: { status: 'NEEDS_RECONNECT' } });
  });

  it('refuses to start a worker on a database with pending migrations, naming the command', async () => {
    const bare = `${new URL(env.db.url).pathname.slice(1)}_bare`;
    await env.db.prisma.$executeRawUnsafe(`CREATE DATABASE "${bare}"`);
    const url = new URL(env.db.url);
    url.pathname = `/${bare}`;
    try {
      const worker = await runCli(['worker'], { ...env.env, DATABASE_URL: url.toString() });
      expect(worker.code).not.toBe(0);
      expect(worker.stderr).toMatch(/pending migration.*touchbase migrate/);
      const migrate = await runCli(['migrate'], { ...env.env, DATABASE_URL: url.toString() });
      expect(migrate.code).toBe(0);
      expect(migrate.stdout).toMatch(/Applied/);
    } finally {
      await env.db.prisma.$executeRawUnsafe(`DROP DATABASE IF EXISTS "${bare}" WITH (FORCE)`);
    }
  });

  it('names the setting and the fix when one is missing', async () => {
    const { TOUCHBASE_SECRET: _, ...rest } = env.env;
    const result = await runCli(['accounts'], rest);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/TOUCHBASE_SECRET .*touchbase secret/);
  });
});
