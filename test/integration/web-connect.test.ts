import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/lib/context.ts';
import { STATE_COOKIE, sealFlow } from '../../src/web/auth/oauth-state.ts';
import { SESSION_COOKIE } from '../../src/web/auth/session-store.ts';
import { buildServer } from '../../src/web/server.ts';
import { type FakeGmail, startFakeGmail } from '../fakes/gmail/fake-gmail.ts';
import { startTestEnv, TEST_CLIENT, type TestEnv } from '../support/test-env.ts';
import { connectThroughWeb, serverForFake, WebClient, type WebServer } from '../support/web-client.ts';

const OWNER = 'sam.okafor@example.com';
const SECOND = 'sam.work@example.org';
const PUBLIC_URL = 'http://127.0.0.1:3999';

describe('connecting from the web app', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let app: WebServer;
  const extra: { close(): Promise<unknown> }[] = [];

  beforeAll(async () => {
    env = await startTestEnv({ owner: OWNER, settings: { PUBLIC_URL } });
    ctx = env.context();
    app = await buildServer(ctx);
  });
  afterAll(async () => {
    for (const item of extra.reverse()) await item.close();
    await app?.close();
    await env?.close();
  });

  async function secondFake(options: Partial<Parameters<typeof startFakeGmail>[0]> = {}): Promise<FakeGmail> {
    const fake = await startFakeGmail({
      email: SECOND,
      clientId: TEST_CLIENT.id,
      clientSecret: TEST_CLIENT.secret,
      ...options,
    });
    extra.push(fake);
    return fake;
  }

  it('starts with PKCE S256, a state bound to a short-lived httpOnly cookie, and the exact redirect URI', async () => {
    const client = new WebClient(app);
    const started = await client.get('/oauth/gmail/start');
    expect(started.statusCode).toBe(303);
    const authorize = new URL(String(started.headers.location));
    expect(`${authorize.origin}${authorize.pathname}`).toBe(env.fake.authUrl);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${PUBLIC_URL}/oauth/gmail/callback`);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('state')?.length).toBeGreaterThanOrEqual(32);
    const cookie = String(started.headers['set-cookie']);
    expect(cookie).toMatch(new RegExp(`^${STATE_COOKIE}=`));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\/oauth/);
    expect(cookie).toMatch(/Max-Age=600/);
    // The verifier never leaves the server in the clear: the cookie is sealed.
    expect(cookie).not.toContain(authorize.searchParams.get('state'));
  });

  it('connects, stores the account encrypted, schedules the sync and signs the person in', async () => {
    const client = new WebClient(app);
    const landed = await connectThroughWeb(client);
    expect(landed.statusCode).toBe(303);
    expect(landed.headers.location).toBe('/settings?notice=connected');
    const session = String(
      ([] as string[])
        .concat(landed.headers['set-cookie'] ?? [])
        .find((c) => c.startsWith(`${SESSION_COOKIE}=`)),
    );
    expect(session).toMatch(/HttpOnly/i);
    expect(session).toMatch(/SameSite=Lax/i);
    expect(client.cookies.has(STATE_COOKIE)).toBe(false);

    const account = await ctx.prisma.mailAccount.findFirstOrThrow({
      where: { email: OWNER },
      include: { user: true },
    });
    expect(account.user.email).toBe(OWNER);
    expect(account.refreshTokenEnc).toMatch(/^v1\./);
    expect(await ctx.queues().sync.getJobScheduler(`sync:${account.id}`)).toBeTruthy();
    expect(await ctx.queues().digest.getJobScheduler(`digest:${account.userId}`)).toBeTruthy();
    expect(
      (await ctx.queues().sync.getJobs(['waiting', 'delayed', 'prioritized'])).map((j) => j.data),
    ).toContainEqual({
      accountId: account.id,
      reason: 'connect',
    });

    const settings = await client.get('/settings?notice=connected');
    expect(settings.statusCode).toBe(200);
    expect(settings.body).toContain(OWNER);
    expect(settings.body).toContain('Your account is connected');
  });

  it('adds a second mailbox to the signed-in user, and signs back in with a known mailbox', async () => {
    const client = new WebClient(app);
    await connectThroughWeb(client);
    const owner = await ctx.prisma.user.findUniqueOrThrow({ where: { email: OWNER } });

    const fake = await secondFake();
    const other = await serverForFake(env.env, fake, { PUBLIC_URL });
    extra.push(other);
    client.app = other.app;
    const added = await connectThroughWeb(client);
    expect(added.statusCode).toBe(303);
    const second = await ctx.prisma.mailAccount.findFirstOrThrow({ where: { email: SECOND } });
    expect(second.userId).toBe(owner.id);
    expect(await ctx.prisma.user.count()).toBe(1);

    // Signed out, in a fresh browser: connecting the second mailbox signs in as the same user.
    const fresh = new WebClient(other.app);
    expect((await fresh.get('/people')).headers.location).toBe('/connect?next=%2Fpeople');
    await connectThroughWeb(fresh, '/oauth/gmail/start?next=/people');
    const people = await fresh.get('/people');
    expect(people.statusCode).toBe(200);
    // Neither mailbox is synced yet: the page says its list is not whole.
    expect(people.body).toContain(`touchbase has not started reading ${SECOND} yet.`);
    expect(await ctx.prisma.user.count()).toBe(1);
  });

  it('says so when consent is denied, and stores nothing', async () => {
    const fake = await secondFake({ email: 'denier@example.com', consent: 'deny' });
    const server = await serverForFake(env.env, fake, { PUBLIC_URL });
    extra.push(server);
    const denied = await connectThroughWeb(new WebClient(server.app));
    expect(denied.statusCode).toBe(403);
    expect(denied.body).toContain('You did not allow touchbase');
    expect(denied.headers['set-cookie']).not.toMatch(new RegExp(`${SESSION_COOKIE}=[^;]`));
    expect(await ctx.prisma.mailAccount.count({ where: { email: 'denier@example.com' } })).toBe(0);
  });

  it('refuses a grant without the mail scope, and stores nothing', async () => {
    const fake = await secondFake({ email: 'unticked@example.com', grantScopes: [] });
    const server = await serverForFake(env.env, fake, { PUBLIC_URL });
    extra.push(server);
    const refused = await connectThroughWeb(new WebClient(server.app));
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('leave every box ticked');
    expect(await ctx.prisma.mailAccount.count({ where: { email: 'unticked@example.com' } })).toBe(0);
  });

  it('refuses a callback whose state is forged, missing its cookie, or expired', async () => {
    const client = new WebClient(app);
    const started = await client.get('/oauth/gmail/start');
    const consent = await fetch(String(started.headers.location), { redirect: 'manual' });
    const back = new URL(String(consent.headers.get('location')));
    const code = back.searchParams.get('code') ?? '';
    const state = back.searchParams.get('state') ?? '';

    const forged = await client.get(`/oauth/gmail/callback?code=${code}&state=${state}x`);
    expect(forged.statusCode).toBe(400);
    expect(forged.body).toContain('could not be verified');

    const noCookie = await new WebClient(app).get(`${back.pathname}${back.search}`);
    expect(noCookie.statusCode).toBe(400);
    expect(noCookie.body).toContain('expired');

    const tampered = new WebClient(app);
    tampered.cookies.set(STATE_COOKIE, {
      value: `${client.cookies.get(STATE_COOKIE)?.value ?? ''}A`,
      path: '/oauth',
    });
    expect((await tampered.get(`${back.pathname}${back.search}`)).statusCode).toBe(400);

    const stale = new WebClient(app);
    const sealed = sealFlow(ctx.cipher, {
      state,
      verifier: 'v'.repeat(43),
      provider: 'gmail',
      next: '',
      expiresAt: Date.now() - 1000,
    });
    stale.cookies.set(STATE_COOKIE, { value: sealed, path: '/oauth' });
    const expired = await stale.get(`${back.pathname}${back.search}`);
    expect(expired.statusCode).toBe(400);
    expect(expired.body).toContain('This sign-in has expired');
    expect(await ctx.prisma.mailAccount.count({ where: { email: OWNER } })).toBe(1);
  });

  it('shows a clear page for a provider that is not configured, and 404 for an unknown one', async () => {
    const client = new WebClient(app);
    const outlook = await client.get('/oauth/outlook/start');
    expect(outlook.statusCode).toBe(503);
    expect(outlook.body).toContain('Outlook is not available here');
    expect((await client.get('/oauth/yahoo/start')).statusCode).toBe(404);
  });

  it('the connect page offers both providers and works without a session', async () => {
    const page = await new WebClient(app).get('/connect');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('action="/oauth/gmail/start"');
    expect(page.body).toContain('action="/oauth/outlook/start"');
    expect(page.body).toContain('<main id="main"');
  });
});
