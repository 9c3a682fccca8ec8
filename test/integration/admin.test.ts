import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.ts';
import { type AppContext, createContext } from '../../src/lib/context.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { buildServer } from '../../src/web/server.ts';
import { startTestEnv, type TestEnv } from '../support/test-env.ts';

const ADMIN_TOKEN = 'admin-token-for-the-test-0123456789';
const OWNER = 'owner@example.com';

describe('the admin area', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let app: Awaited<ReturnType<typeof buildServer>>;
  let brokenAccountId: string;

  beforeAll(async () => {
    env = await startTestEnv({ owner: OWNER, settings: { ADMIN_TOKEN } });
    ctx = env.context();
    const user = await ctx.prisma.user.create({ data: { email: 'someone@example.org' } });
    const broken = await ctx.prisma.mailAccount.create({
      data: {
        userId: user.id,
        provider: 'gmail',
        email: 'someone@example.org',
        status: 'NEEDS_RECONNECT',
        statusReason: 'Google refused the refresh token (invalid_grant): reconnect the account',
      },
    });
    brokenAccountId = broken.id;
    await ctx.prisma.mailAccount.create({
      data: { userId: user.id, provider: 'gmail', email: 'fine@example.org', status: 'ACTIVE' },
    });
    app = await buildServer(ctx);
  });
  afterAll(async () => {
    await app?.close();
    await env?.close();
  });

  const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };

  it('does not exist when ADMIN_TOKEN is unset', async () => {
    const off = createContext(parseConfig({ ...env.env, ADMIN_TOKEN: '' }), { log: createLogger('silent') });
    const offApp = await buildServer(off);
    try {
      for (const url of ['/admin', '/admin/login', '/admin/queues', '/admin/queues/api/queues']) {
        const response = await offApp.inject({ method: 'GET', url, headers: bearer });
        expect(response.statusCode, url).toBe(404);
      }
    } finally {
      await offApp.close();
      await off.close();
    }
  });

  it('refuses every admin page and bull-board API without the token (401)', async () => {
    for (const url of [
      '/admin',
      '/admin/accounts/needs-reconnect',
      '/admin/queues',
      '/admin/queues/api/queues',
    ]) {
      const none = await app.inject({ method: 'GET', url });
      expect(none.statusCode, url).toBe(401);
      const wrong = await app.inject({
        method: 'GET',
        url,
        headers: { authorization: 'Bearer not-the-token' },
      });
      expect(wrong.statusCode, url).toBe(401);
    }
    const retry = await app.inject({ method: 'PUT', url: '/admin/queues/api/queues/sync/retry/failed' });
    expect(retry.statusCode).toBe(401);
    // A browser gets the sign-in form, still with 401.
    const page = await app.inject({ method: 'GET', url: '/admin', headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(401);
    expect(page.body).toContain('<form method="post" action="/admin/login">');
  });

  it('lists the accounts needing reconnect, by id and reason, without addresses', async () => {
    const page = await app.inject({ method: 'GET', url: '/admin', headers: bearer });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(brokenAccountId);
    expect(page.body).toContain('invalid_grant');
    expect(page.body).not.toContain('@example.org');
    const json = await app.inject({ method: 'GET', url: '/admin/accounts/needs-reconnect', headers: bearer });
    const { accounts } = json.json<{ accounts: { accountId: string; provider: string; since: string }[] }>();
    expect(accounts.map((a) => a.accountId)).toEqual([brokenAccountId]);
    expect(accounts[0]?.provider).toBe('gmail');
    expect(Date.parse(accounts[0]?.since ?? '')).not.toBeNaN();
  });

  it("serves bull-board's UI and API for the three queues", async () => {
    const ui = await app.inject({ method: 'GET', url: '/admin/queues', headers: bearer });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
    expect(ui.body).toContain('<base href="/admin/queues/"');
    expect(ui.body).toContain('touchbase queues');
    const asset = ui.body.match(/static\/js\/main\.[\w.]+\.js/)?.[0];
    expect(asset).toBeDefined();
    const script = await app.inject({ method: 'GET', url: `/admin/queues/${asset}`, headers: bearer });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);

    await ctx.queues().digest.add('digest', { userId: '00000000-0000-4000-8000-000000000001' });
    const api = await app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: bearer });
    expect(api.statusCode).toBe(200);
    const { queues } = api.json<{ queues: { name: string; counts: Record<string, number> }[] }>();
    expect(queues.map((q) => q.name).sort()).toEqual(['command', 'digest', 'sync']);
    expect(queues.find((q) => q.name === 'digest')?.counts.waiting).toBe(1);
  });

  it('signs a person in with the token through a form and a signed cookie', async () => {
    const refused = await app.inject({
      method: 'POST',
      url: '/admin/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'token=guess',
    });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['set-cookie']).toBeUndefined();

    const login = await app.inject({
      method: 'POST',
      url: '/admin/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${encodeURIComponent(ADMIN_TOKEN)}`,
    });
    expect(login.statusCode).toBe(303);
    expect(login.headers.location).toBe('/admin');
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = setCookie.split(';')[0] as string;

    const page = await app.inject({ method: 'GET', url: '/admin', headers: { cookie } });
    expect(page.statusCode).toBe(200);
    const board = await app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: { cookie } });
    expect(board.statusCode).toBe(200);

    const tampered = `${cookie.slice(0, -2)}xx`;
    expect(
      (await app.inject({ method: 'GET', url: '/admin', headers: { cookie: tampered } })).statusCode,
    ).toBe(401);
  });
});
