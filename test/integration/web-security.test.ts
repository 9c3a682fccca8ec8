import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppContext, createContext } from '../../src/lib/context.ts';
import { createLinkSigner } from '../../src/lib/link-signer.ts';
import { settingsLinkUrl } from '../../src/lib/settings-link.ts';
import { createSessionStore, SESSION_COOKIE } from '../../src/web/auth/session-store.ts';
import { buildServer } from '../../src/web/server.ts';
import { buildSampleMailbox, SAMPLE_OWNER } from '../fixtures/sample-mailbox.ts';
import { startTestEnv, syncOnce, type TestEnv } from '../support/test-env.ts';
import { connectThroughWeb, serverForFake, WebClient, type WebServer } from '../support/web-client.ts';

const PUBLIC_URL = 'http://127.0.0.1:3998';
const sample = buildSampleMailbox({
  owner: SAMPLE_OWNER.email,
  ownerName: SAMPLE_OWNER.name,
  now: new Date(),
});

describe('web app security: headers, CSRF, rate limit, redirects, sessions, cross-user access', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let app: WebServer;
  /** User A: connected through the web with the sample mailbox. */
  let alice: WebClient;
  let aliceId: string;
  let aliceContact: string;
  let aliceAccount: string;
  /** User B: another person on the same server, with a contact of their own. */
  let bob: WebClient;
  let bobContact: string;

  beforeAll(async () => {
    env = await startTestEnv({
      owner: SAMPLE_OWNER.email,
      messages: sample.messages,
      sendAs: sample.sendAs,
      settings: { PUBLIC_URL },
    });
    ctx = env.context();
    app = await buildServer(ctx);
    alice = new WebClient(app);
    await connectThroughWeb(alice);
    const account = await ctx.prisma.mailAccount.findFirstOrThrow({ where: { email: SAMPLE_OWNER.email } });
    aliceId = account.userId;
    aliceAccount = account.id;
    await syncOnce(ctx, account.id);
    aliceContact = (await ctx.prisma.contact.findFirstOrThrow({ where: { userId: aliceId } })).id;

    const bobUser = await ctx.prisma.user.create({ data: { email: 'bob@example.net' } });
    bobContact = (
      await ctx.prisma.contact.create({
        data: {
          userId: bobUser.id,
          name: 'Carol',
          addresses: {
            create: { userId: bobUser.id, address: 'carol@example.net', canonical: 'carol@example.net' },
          },
        },
      })
    ).id;
    const sessions = createSessionStore(ctx.redis(), {
      secret: ctx.config.TOUCHBASE_SECRET,
      prefix: ctx.config.QUEUE_PREFIX,
      lifetimeDays: 1,
    });
    bob = new WebClient(app);
    bob.cookies.set(SESSION_COOKIE, { value: await sessions.create(bobUser.id), path: '/' });
  });
  afterAll(async () => {
    await app?.close();
    await env?.close();
  });

  const csrf = async (client: WebClient, page = '/people') => WebClient.csrfOf((await client.get(page)).body);

  it('sends security headers with a CSP that allows only the app itself', async () => {
    const page = await alice.get('/people');
    expect(page.statusCode).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain(`form-action 'self' ${new URL(env.fake.authUrl).origin}`);
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('same-origin');
    expect(page.headers['x-frame-options']).toBe('SAMEORIGIN');
    // Every page references only its own stylesheet and script: no inline code for the CSP to block.
    expect(page.body).not.toMatch(/<script>|<style|style="|onclick=/);
    expect((await alice.get('/assets/app.css')).headers['content-type']).toMatch(/^text\/css/);
  });

  it('refuses a form POST without its CSRF token, with another session’s, or from another origin', async () => {
    const url = `/people/${aliceContact}/mute`;
    const muted = async () =>
      (await ctx.prisma.contact.findUniqueOrThrow({ where: { id: aliceContact } })).mutedAt;
    expect((await alice.post(url, {})).statusCode).toBe(403);
    expect((await alice.post(url, { _csrf: await csrf(bob) })).statusCode).toBe(403);
    const token = await csrf(alice);
    expect((await alice.post(url, { _csrf: token }, { origin: 'https://evil.example' })).statusCode).toBe(
      403,
    );
    expect(await muted()).toBeNull();
    const ok = await alice.post(url, { _csrf: token }, { origin: PUBLIC_URL });
    expect(ok.statusCode).toBe(303);
    expect(await muted()).not.toBeNull();
    await alice.post(`/people/${aliceContact}/unmute`, { _csrf: token });
    expect(await muted()).toBeNull();
  });

  it('user B cannot see or change user A’s contacts or accounts (404), and sees only their own', async () => {
    const token = await csrf(bob);
    const before = await ctx.prisma.contact.findUniqueOrThrow({ where: { id: aliceContact } });
    for (const [path, form] of [
      [`/people/${aliceContact}/mute`, {}],
      [`/people/${aliceContact}/unmute`, {}],
      [`/people/${aliceContact}/snooze`, { for: '2w' }],
      [`/people/${aliceContact}/cadence`, { days: '7' }],
      ['/people/merge', { into: bobContact, from: aliceContact }],
      ['/people/merge', { into: aliceContact, from: bobContact }],
      [`/accounts/${aliceAccount}/disconnect`, {}],
    ] as const) {
      const response = await bob.post(path, { ...form, _csrf: token });
      expect(response.statusCode, path).toBe(404);
    }
    expect((await bob.get(`/accounts/${aliceAccount}/disconnect`)).statusCode).toBe(404);
    expect((await bob.post('/people/not-a-uuid/mute', { _csrf: token })).statusCode).toBe(404);
    expect(await ctx.prisma.contact.findUniqueOrThrow({ where: { id: aliceContact } })).toEqual(before);
    expect(await ctx.prisma.mailAccount.count({ where: { id: aliceAccount } })).toBe(1);
    expect(await ctx.prisma.contactAddress.count({ where: { contactId: bobContact } })).toBe(1);

    const bobsPeople = (await bob.get('/people')).body;
    expect(bobsPeople).toContain('carol@example.net');
    expect(bobsPeople).not.toContain(sample.expected.contacts[0]);
    expect((await bob.get('/settings')).body).not.toContain(SAMPLE_OWNER.email);
  });

  it('user B connecting user A’s mailbox is refused and changes nothing', async () => {
    const bobId = (await ctx.prisma.user.findUniqueOrThrow({ where: { email: 'bob@example.net' } })).id;
    const taken = await connectThroughWeb(bob);
    expect(taken.statusCode).toBe(409);
    expect(taken.body).toContain('already connected to another touchbase user');
    const account = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: aliceAccount } });
    expect(account.userId).toBe(aliceId);
    expect(await ctx.prisma.mailAccount.count({ where: { userId: bobId } })).toBe(0);
  });

  it('refuses forged session cookies and sessions that were signed out', async () => {
    const real = alice.cookies.get(SESSION_COOKIE)?.value ?? '';
    const [id = '', mac = ''] = real.split('.');
    const forged = new WebClient(app);
    for (const value of [
      `${id}.${mac.slice(0, -2)}AA`,
      `${id}x.${mac}`,
      id,
      'garbage',
      `${id}.${mac}.${mac}`,
    ]) {
      forged.cookies.set(SESSION_COOKIE, { value, path: '/' });
      const response = await forged.get('/people');
      expect(response.statusCode, value).toBe(303);
      expect(response.headers.location).toBe('/connect?next=%2Fpeople');
    }

    // A copy of the cookie kept after signing out is worth nothing.
    const other = new WebClient(app);
    await connectThroughWeb(other);
    const copy = other.cookies.get(SESSION_COOKIE)?.value ?? '';
    expect((await other.get('/people')).statusCode).toBe(200);
    const out = await other.post('/signout', { _csrf: await csrf(other) });
    expect(out.statusCode).toBe(303);
    expect(other.cookies.has(SESSION_COOKIE)).toBe(false);
    const replay = new WebClient(app);
    replay.cookies.set(SESSION_COOKIE, { value: copy, path: '/' });
    expect((await replay.get('/people')).statusCode).toBe(303);
    expect((await replay.post(`/people/${aliceContact}/mute`, { _csrf: 'x' })).statusCode).toBe(403);
  });

  it('redirects after sign-in only to paths of this site', async () => {
    for (const [next, expected] of <[string, string][]>[
      ['/people?q=jo', '/people?q=jo'],
      ['//evil.example/x', '/settings?notice=connected'],
      ['https://evil.example/', '/settings?notice=connected'],
      ['/\\evil.example', '/settings?notice=connected'],
      ['javascript:alert(1)', '/settings?notice=connected'],
    ]) {
      const client = new WebClient(app);
      const landed = await connectThroughWeb(client, `/oauth/gmail/start?next=${encodeURIComponent(next)}`);
      expect(landed.headers.location, next).toBe(expected);
    }
  });

  it('a signed settings link opens that user’s schedule without a session, and nothing more', async () => {
    const links = createLinkSigner(ctx.config.TOUCHBASE_SECRET);
    const link = new URL(settingsLinkUrl(PUBLIC_URL, links, aliceId, new Date()));
    const path = `${link.pathname}${link.search}`;
    const stranger = new WebClient(app);
    const page = await stranger.get(path);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Weekly digest');
    expect(page.body).not.toContain('Connected mailboxes');
    const saved = await stranger.post(`/settings/schedule${link.search}`, {
      _csrf: WebClient.csrfOf(page.body),
      digestDay: '3',
      digestHour: '18',
      timeZone: 'Europe/Lisbon',
    });
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe(`/settings${link.search}&notice=schedule-saved`);
    const user = await ctx.prisma.user.findUniqueOrThrow({ where: { id: aliceId } });
    expect([user.digestDay, user.digestHour, user.timeZone]).toEqual([3, 18, 'Europe/Lisbon']);
    // Still no session: the people page needs a sign-in.
    expect((await stranger.get('/people')).statusCode).toBe(303);

    const tampered = path.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await stranger.get(tampered)).statusCode).toBe(400);
    const old = new URL(settingsLinkUrl(PUBLIC_URL, links, aliceId, new Date(Date.now() - 36 * 86_400_000)));
    expect((await stranger.get(`${old.pathname}${old.search}`)).statusCode).toBe(400);
    // A link's CSRF token is good only where links are: not for the people page, even with a session.
    const linkToken = WebClient.csrfOf(page.body);
    const muteWithLink = await alice.post(`/people/${aliceContact}/mute${link.search}`, { _csrf: linkToken });
    expect(muteWithLink.statusCode).toBe(403);
    // An unsubscribe token is not a settings token.
    expect((await stranger.get(`/settings?u=${links.sign('unsubscribe', aliceId)}`)).statusCode).toBe(400);
  });

  it('limits the rate of sign-in attempts per client', async () => {
    // A prefix of its own: the counts live in Redis, shared by every server process of a deployment.
    const limited = await serverForFake(env.env, env.fake, {
      PUBLIC_URL,
      AUTH_RATE_LIMIT_PER_MINUTE: '3',
      QUEUE_PREFIX: `${env.config.QUEUE_PREFIX}-limited`,
    });
    try {
      const client = new WebClient(limited.app);
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push((await client.get('/oauth/gmail/start')).statusCode);
      expect(codes).toEqual([303, 303, 303, 429, 429]);
      // The callback has a budget of its own.
      const callbacks: number[] = [];
      for (let i = 0; i < 4; i++)
        callbacks.push((await client.get('/oauth/gmail/callback?state=y')).statusCode);
      expect(callbacks).toEqual([400, 400, 400, 429]);
      const blocked = await client.get('/oauth/gmail/start');
      expect(blocked.body).toContain('Too many attempts');
      // Pages other than sign-in are not limited.
      expect((await client.get('/connect')).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('counts sign-in attempts per visitor behind a trusted proxy, and per connection otherwise', async () => {
    const attempts = async (settings: Record<string, string>) => {
      const server = await serverForFake(env.env, env.fake, {
        PUBLIC_URL,
        AUTH_RATE_LIMIT_PER_MINUTE: '2',
        QUEUE_PREFIX: `${env.config.QUEUE_PREFIX}-proxy-${Object.keys(settings).length}`,
        ...settings,
      });
      try {
        const codes: number[] = [];
        for (const visitor of ['203.0.113.1', '203.0.113.1', '203.0.113.2', '203.0.113.3']) {
          const res = await server.app.inject({
            url: '/oauth/gmail/start',
            headers: { 'x-forwarded-for': visitor },
          });
          codes.push(res.statusCode);
        }
        return codes;
      } finally {
        await server.close();
      }
    };
    // Trusted: each visitor has a budget of their own.
    expect(await attempts({ TRUST_PROXY: '127.0.0.1' })).toEqual([303, 303, 303, 303]);
    // Not trusted: the header is ignored, every request counts against the one connection.
    expect(await attempts({})).toEqual([303, 303, 429, 429]);
  });

  it('leaves query values (signed links, OAuth codes) out of the request log', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const logged = createContext(env.config, { log });
    const server = await buildServer(logged);
    try {
      await server.inject({ url: '/settings?u=SECRET-LINK-TOKEN' });
      await server.inject({ url: '/oauth/gmail/callback?code=SECRET-CODE&state=SECRET-STATE' });
    } finally {
      await server.close();
      await logged.close();
    }
    const text = lines.join('');
    // Parameter names stay (a log still says what came in); their values never do.
    expect(text).toContain('"url":"/settings?u=[redacted]"');
    expect(text).toContain('"url":"/oauth/gmail/callback?code=[redacted]&state=[redacted]"');
    expect(text).not.toMatch(/SECRET/);
  });
});
