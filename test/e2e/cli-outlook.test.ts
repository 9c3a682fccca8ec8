import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenCipher } from '../../src/lib/token-cipher.ts';
import { startFakeGraph } from '../fakes/graph/fake-graph.ts';
import { graphTlsEnv } from '../fakes/graph/tls.ts';
import { buildOutlookMailbox, OUTLOOK_OWNER } from '../fixtures/outlook-mailbox.ts';
import { actLikeBrowser } from '../support/act-like-browser.ts';
import { GRAPH_CLIENT, type OutlookTestEnv, startOutlookEnv } from '../support/outlook-env.ts';
import { runCli, startCli } from '../support/run-cli.ts';

const mailbox = buildOutlookMailbox(new Date());
const URL_LINE = /Open this URL to connect: (\S+)/;

describe('touchbase connect outlook, as a user drives it', () => {
  let env: OutlookTestEnv;
  /** The CLI's settings, plus the fake's test CA (Node reads it only at process start). */
  let cliEnv: Record<string, string>;

  beforeAll(async () => {
    env = await startOutlookEnv({
      graph: { email: OUTLOOK_OWNER.email, folders: mailbox.folders, messages: mailbox.messages },
      settings: { BACKFILL_DAYS: '365' },
    });
    cliEnv = { ...env.env, ...graphTlsEnv() };
  });
  afterAll(async () => {
    await env?.close();
  });

  const connect = async () => {
    const run = startCli(['connect', 'outlook', '--no-browser'], cliEnv);
    const [, url] = await run.waitForLine(URL_LINE);
    const landing = await actLikeBrowser(url as string);
    return { url: new URL(url as string), landing, result: await run.exit };
  };

  it('refuses a grant without Mail.Read and stores nothing', async () => {
    // The user unticks Mail.Read on the consent page.
    const stingy = await startFakeGraph({
      email: OUTLOOK_OWNER.email,
      clientId: GRAPH_CLIENT.id,
      clientSecret: GRAPH_CLIENT.secret,
      grantScopes: ['offline_access', 'User.Read'],
    });
    const run = startCli(['connect', 'outlook', '--no-browser'], {
      ...cliEnv,
      MICROSOFT_AUTHORITY_URL: stingy.authorityUrl,
      GRAPH_API_URL: stingy.graphUrl,
    });
    const [, url] = await run.waitForLine(URL_LINE);
    await actLikeBrowser(url as string);
    const result = await run.exit;
    await stingy.close();
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/granted without Mail\.Read/);
    expect(await env.db.prisma.mailAccount.count()).toBe(0);
  });

  it('connects with PKCE against the Microsoft authority, with the address from /me', async () => {
    const { url, landing, result } = await connect();
    expect(url.origin + url.pathname).toBe(env.graph.authUrl);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('scope')).toBe('offline_access User.Read Mail.Read');
    expect(landing.body).toMatch(/Connected/);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`Connected ${OUTLOOK_OWNER.email}`));
    const account = await env.db.prisma.mailAccount.findFirstOrThrow();
    expect(account.provider).toBe('outlook');
    expect(account.email).toBe(OUTLOOK_OWNER.email);
    const refreshToken = createTokenCipher([env.env.TOUCHBASE_SECRET as string]).decrypt(
      account.refreshTokenEnc as string,
      account.id,
    );
    expect(refreshToken.length).toBeGreaterThan(10);
    expect(env.graph.stats.tokenGrants.authorization_code).toBeGreaterThanOrEqual(1);
  });

  it('syncs through a worker process, then lists the contacts', async () => {
    const worker = startCli(['worker'], cliEnv);
    try {
      const sync = await runCli(['sync', '--wait'], cliEnv);
      expect(sync.stderr).toBe('');
      expect(sync.code).toBe(0);
      const contacts = await runCli(['contacts', '--json'], cliEnv);
      expect(contacts.code).toBe(0);
      const emails = (JSON.parse(contacts.stdout) as { emails: string[] }[]).flatMap((c) => c.emails);
      expect(emails.sort()).toEqual([...mailbox.expected.contacts].sort());
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exit;
    }
  });
});
