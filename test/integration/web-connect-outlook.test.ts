import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/lib/context.ts';
import { buildServer } from '../../src/web/server.ts';
import { type OutlookTestEnv, startOutlookEnv } from '../support/outlook-env.ts';
import { connectThroughWeb, WebClient, type WebServer } from '../support/web-client.ts';

const GMAIL_OWNER = 'ada@gmail.example';
const OUTLOOK_OWNER = 'ada.lovelace@contoso.example';
const PUBLIC_URL = 'http://127.0.0.1:3998';

describe('connecting an Outlook mailbox from the web app, through the fake Microsoft identity', () => {
  let env: OutlookTestEnv;
  let ctx: AppContext;
  let app: WebServer;

  beforeAll(async () => {
    env = await startOutlookEnv({
      gmailOwner: GMAIL_OWNER,
      graph: {
        email: OUTLOOK_OWNER,
        displayName: 'Ada Lovelace',
        // Only the web app's redirect is registered: any other answer is refused by the identity.
        redirectUris: [`${PUBLIC_URL}/oauth/outlook/callback`],
      },
      settings: { PUBLIC_URL },
    });
    ctx = env.context();
    app = await buildServer(ctx);
  });
  afterAll(async () => {
    await app?.close();
    await env?.close();
  });

  it('asks Microsoft with PKCE S256, offline access and the exact redirect URI', async () => {
    const started = await new WebClient(app).get('/oauth/outlook/start');
    expect(started.statusCode).toBe(303);
    const authorize = new URL(String(started.headers.location));
    expect(`${authorize.origin}${authorize.pathname}`).toBe(env.graph.authUrl);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${PUBLIC_URL}/oauth/outlook/callback`);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('scope')?.split(' ')).toEqual(
      expect.arrayContaining(['offline_access', 'User.Read', 'Mail.Read']),
    );
  });

  it('connects, signs the person in, schedules the sync; a Gmail mailbox added next joins the same person', async () => {
    const client = new WebClient(app);
    const landed = await connectThroughWeb(client, '/oauth/outlook/start');
    expect(landed.statusCode).toBe(303);
    expect(landed.headers.location).toBe('/settings?notice=connected');

    const outlook = await ctx.prisma.mailAccount.findFirstOrThrow({
      where: { provider: 'outlook' },
      include: { user: true },
    });
    // The address comes from /me, not from anything the browser said.
    expect(outlook.email).toBe(OUTLOOK_OWNER);
    expect(outlook.user.email).toBe(OUTLOOK_OWNER);
    expect(outlook.refreshTokenEnc).toMatch(/^v1\./);
    expect(await ctx.queues().sync.getJobScheduler(`sync:${outlook.id}`)).toBeTruthy();

    const settings = await client.get('/settings');
    expect(settings.statusCode).toBe(200);
    expect(settings.body).toContain(OUTLOOK_OWNER);

    // Signed in as the Outlook person, connecting Gmail adds a mailbox to them.
    const again = await connectThroughWeb(client, '/oauth/gmail/start');
    expect(again.statusCode).toBe(303);
    const accounts = await ctx.prisma.mailAccount.findMany({ orderBy: { provider: 'asc' } });
    expect(accounts.map((a) => [a.provider, a.email])).toEqual([
      ['gmail', GMAIL_OWNER],
      ['outlook', OUTLOOK_OWNER],
    ]);
    expect(new Set(accounts.map((a) => a.userId)).size).toBe(1);
  });

  it('says so when consent is denied at Microsoft, and stores nothing new', async () => {
    const before = await ctx.prisma.mailAccount.count();
    env.graph.setConsent('deny');
    try {
      const answered = await connectThroughWeb(new WebClient(app), '/oauth/outlook/start');
      expect(answered.statusCode).toBe(403);
      expect(answered.body).toMatch(/Outlook/);
      expect(await ctx.prisma.mailAccount.count()).toBe(before);
    } finally {
      env.graph.setConsent('approve');
    }
  });
});
