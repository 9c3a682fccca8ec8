import { readFile } from 'node:fs/promises';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendWeeklyDigest } from '../../src/digest/send-weekly-digest.ts';
import type { AppContext } from '../../src/lib/context.ts';
import { refreshAccessToken } from '../../src/oauth/oauth-client.ts';
import { gmailOAuthSettings } from '../../src/providers/gmail/gmail-settings.ts';
import { SESSION_COOKIE } from '../../src/web/auth/session-store.ts';
import { buildServer } from '../../src/web/server.ts';
import { buildSampleMailbox, SAMPLE_OWNER } from '../fixtures/sample-mailbox.ts';
import { startTestEnv, syncOnce, type TestEnv } from '../support/test-env.ts';
import { connectThroughWeb, WebClient, type WebServer } from '../support/web-client.ts';

const PUBLIC_URL = 'http://127.0.0.1:3997';
const DAY = 86_400_000;
const sample = buildSampleMailbox({
  owner: SAMPLE_OWNER.email,
  ownerName: SAMPLE_OWNER.name,
  now: new Date(),
});

describe('the pages: settings, people, disconnect, delete my data, the digest’s links', () => {
  let env: TestEnv;
  let ctx: AppContext;
  let app: WebServer;
  let client: WebClient;
  let userId: string;
  let accountId: string;

  beforeAll(async () => {
    env = await startTestEnv({
      owner: SAMPLE_OWNER.email,
      messages: sample.messages,
      sendAs: sample.sendAs,
      settings: { PUBLIC_URL },
    });
    ctx = env.context();
    app = await buildServer(ctx);
    client = new WebClient(app);
    await connectThroughWeb(client);
    const account = await ctx.prisma.mailAccount.findFirstOrThrow({ where: { email: SAMPLE_OWNER.email } });
    userId = account.userId;
    accountId = account.id;
    await syncOnce(ctx, accountId);
  });
  afterAll(async () => {
    await app?.close();
    await env?.close();
  });

  const token = async (page = '/people') => WebClient.csrfOf((await client.get(page)).body);
  const contactOf = (address: string) =>
    ctx.prisma.contact.findFirstOrThrow({ where: { userId, addresses: { some: { address } } } });

  it('changes the digest schedule and re-schedules it; a bad value is said next to the form', async () => {
    const page = await client.get('/settings');
    expect(page.body).toContain('data-browser-tz="tz-note"'); // zone never chosen: offered from the browser
    const saved = await client.post('/settings/schedule', {
      _csrf: WebClient.csrfOf(page.body),
      digestDay: '5',
      digestHour: '7',
      timeZone: 'America/Chicago',
    });
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe('/settings?notice=schedule-saved');
    const user = await ctx.prisma.user.findUniqueOrThrow({ where: { id: userId } });
    expect([user.digestDay, user.digestHour, user.timeZone]).toEqual([5, 7, 'America/Chicago']);
    const scheduler = await ctx.queues().digest.getJobScheduler(`digest:${userId}`);
    expect(scheduler?.pattern).toBe('0 7 * * 5');
    expect(scheduler?.tz).toBe('America/Chicago');
    const after = await client.get('/settings?notice=schedule-saved');
    expect(after.body).toContain('<option value="America/Chicago" selected>');
    expect(after.body).toContain('Your digest schedule is saved.');
    expect(after.body).not.toContain('data-browser-tz="tz-note"');

    const bad = await client.post('/settings/schedule', {
      _csrf: await token('/settings'),
      digestDay: '5',
      digestHour: '7',
      timeZone: 'Mars/Olympus',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('&quot;Mars/Olympus&quot; is not an IANA time zone');
    expect((await ctx.prisma.user.findUniqueOrThrow({ where: { id: userId } })).timeZone).toBe(
      'America/Chicago',
    );
  });

  it('pauses and resumes the digest', async () => {
    await client.post('/settings/pause', { _csrf: await token('/settings'), paused: '1' });
    expect((await ctx.prisma.user.findUniqueOrThrow({ where: { id: userId } })).digestPaused).toBe(true);
    expect((await client.get('/settings')).body).toContain('Resume the digest');
    await client.post('/settings/pause', { _csrf: await token('/settings'), paused: '0' });
    expect((await ctx.prisma.user.findUniqueOrThrow({ where: { id: userId } })).digestPaused).toBe(false);
  });

  it('shows each mailbox with its sync state and a reconnect button', async () => {
    const page = (await client.get('/settings')).body;
    expect(page).toContain(SAMPLE_OWNER.email);
    expect(page).toMatch(/Synced (today|now|\d+ seconds? ago)/);
    expect(page).toContain(`href="/accounts/${accountId}/disconnect"`);
    // A backfill an hour in with 30% read: about 2 h 20 min more at that rate.
    const synced = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    await ctx.prisma.mailAccount.update({
      where: { id: accountId },
      data: {
        backfillDoneAt: null,
        backfillListed: 30_000,
        backfillTotal: 100_000,
        backfillStartedAt: new Date(Date.now() - 3_600_000),
      },
    });
    expect((await client.get('/settings')).body).toContain('Reading past mail: 30%, about 2 h 20 min left.');
    await ctx.prisma.mailAccount.update({
      where: { id: accountId },
      data: {
        backfillDoneAt: synced.backfillDoneAt,
        backfillListed: synced.backfillListed,
        backfillTotal: synced.backfillTotal,
        backfillStartedAt: synced.backfillStartedAt,
      },
    });
    expect(page).toContain('action="/oauth/gmail/start"');
    await ctx.prisma.mailAccount.update({
      where: { id: accountId },
      data: { status: 'NEEDS_RECONNECT', statusReason: 'Google refused the stored token' },
    });
    expect((await client.get('/settings')).body).toContain(
      'Needs reconnecting: Google refused the stored token.',
    );
    // Reconnecting from the button brings the account back.
    const reconnected = await connectThroughWeb(
      client,
      `/oauth/gmail/start?next=/settings&hint=${SAMPLE_OWNER.email}`,
    );
    expect(reconnected.headers.location).toBe('/settings');
    expect((await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } })).status).toBe(
      'ACTIVE',
    );
    expect(env.fake.lastAuthorizeRequest?.get('login_hint')).toBe(SAMPLE_OWNER.email);
  });

  it('lists people lapsed first, with last contact, rhythm and status; searches by name or address', async () => {
    const page = (await client.get('/people')).body;
    const lapsed = sample.expected.lapsed.map((a) => page.indexOf(a));
    const active = sample.expected.active.map((a) => page.indexOf(a));
    expect(Math.min(...lapsed)).toBeGreaterThan(0);
    expect(Math.max(...lapsed)).toBeLessThan(Math.min(...active));
    expect(page).toContain('Lapsed');
    expect(page).toMatch(/Last contact<\/dt><dd>\d+ (weeks|months) ago/);
    expect(page).toMatch(/Usual rhythm<\/dt><dd>every \d+ (weeks|days)/);

    const [first] = sample.expected.lapsed;
    const found = (await client.get(`/people?q=${encodeURIComponent(first ?? '')}`)).body;
    expect(found).toContain('1 found');
    const contact = await contactOf(first ?? '');
    const byName = (await client.get(`/people?q=${encodeURIComponent(contact.name ?? '')}`)).body;
    expect(byName).toContain(first);
    expect((await client.get('/people?q=nobody-like-this')).body).toContain('Nobody matches');
  });

  it('snoozes, mutes, unmutes and sets a rhythm from the page (POST, then redirect back)', async () => {
    const address = sample.expected.lapsed[0] ?? '';
    const contact = await contactOf(address);
    const snoozed = await client.post(`/people/${contact.id}/snooze`, {
      _csrf: await token(),
      for: '1m',
      q: 'x',
    });
    expect(snoozed.statusCode).toBe(303);
    expect(snoozed.headers.location).toBe('/people?q=x&notice=snoozed');
    const until = (await contactOf(address)).snoozedUntil?.getTime() ?? 0;
    expect(Math.round((until - Date.now()) / DAY)).toBe(30);
    expect((await client.get('/people?notice=snoozed')).body).toContain('Snoozed until');

    await client.post(`/people/${contact.id}/snooze`, { _csrf: await token(), for: 'end' });
    expect((await contactOf(address)).snoozedUntil).toBeNull();
    expect(
      (await client.post(`/people/${contact.id}/snooze`, { _csrf: await token(), for: '5y' })).statusCode,
    ).toBe(400);

    await client.post(`/people/${contact.id}/mute`, { _csrf: await token() });
    expect((await contactOf(address)).mutedAt).not.toBeNull();
    await client.post(`/people/${contact.id}/unmute`, { _csrf: await token() });
    expect((await contactOf(address)).mutedAt).toBeNull();

    await client.post(`/people/${contact.id}/cadence`, { _csrf: await token(), days: '14' });
    expect((await contactOf(address)).cadenceDays).toBe(14);
    expect((await client.get('/people')).body).toContain('every 2 weeks (set by you)');
    await client.post(`/people/${contact.id}/cadence`, { _csrf: await token(), days: '' });
    expect((await contactOf(address)).cadenceDays).toBeNull();
  });

  it('merges two contacts into one', async () => {
    const [a = '', b = ''] = sample.expected.active;
    const into = await contactOf(a);
    const from = await contactOf(b);
    const merged = await client.post('/people/merge', { _csrf: await token(), into: into.id, from: from.id });
    expect(merged.statusCode).toBe(303);
    expect(await ctx.prisma.contact.count({ where: { id: from.id } })).toBe(0);
    const addresses = await ctx.prisma.contactAddress.findMany({ where: { contactId: into.id } });
    expect(addresses.map((row) => row.address)).toEqual(expect.arrayContaining([a, b]));
    const same = await client.post('/people/merge', { _csrf: await token(), into: into.id, from: into.id });
    expect(same.statusCode).toBe(400);
  });

  it('the digest’s "change schedule" link opens the settings page without a session', async () => {
    const sent = await sendWeeklyDigest(ctx, userId);
    expect(sent.status).toBe('sent');
    const eml = await PostalMime.parse(await readFile(String(sent.status === 'sent' ? sent.location : '')));
    const link = (eml.text ?? '').match(/Change your schedule or pause the digest: (\S+)/)?.[1] ?? '';
    expect(link).toMatch(new RegExp(`^${PUBLIC_URL}/settings\\?u=`));
    const url = new URL(link);
    const page = await new WebClient(app).get(`${url.pathname}${url.search}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h2 id="schedule-heading">Weekly digest</h2>');
    expect(page.body).toContain(`action="/settings/pause${url.search}"`);
  });

  it('disconnects a mailbox: revokes its token, deletes its mail facts, recomputes contacts', async () => {
    const account = await ctx.prisma.mailAccount.findUniqueOrThrow({ where: { id: accountId } });
    const refreshToken = ctx.cipher.decrypt(account.refreshTokenEnc ?? '', account.id);
    expect(await ctx.prisma.interaction.count({ where: { accountId } })).toBeGreaterThan(0);
    const kept = await contactOf(sample.expected.lapsed[1] ?? '');
    await ctx.prisma.contact.update({ where: { id: kept.id }, data: { mutedAt: new Date() } });

    const confirm = await client.get(`/accounts/${accountId}/disconnect`);
    expect(confirm.body).toContain('revoke its access at Google');
    const done = await client.post(`/accounts/${accountId}/disconnect`, {
      _csrf: WebClient.csrfOf(confirm.body),
    });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/settings?notice=disconnected');
    expect(await ctx.prisma.mailAccount.count({ where: { id: accountId } })).toBe(0);
    expect(await ctx.prisma.interaction.count({ where: { userId } })).toBe(0);
    // With no mail left, only the contacts the user made their own stay: the muted one, the merged one.
    const left = await ctx.prisma.contact.findMany({ where: { userId }, include: { addresses: true } });
    expect(left.map((c) => c.id)).toContain(kept.id);
    expect(left).toHaveLength(2);
    for (const contact of left) {
      expect(contact.mutedAt !== null || contact.addresses.some((a) => a.source === 'merged')).toBe(true);
      expect(contact.lastContactAt).toBeNull();
    }
    expect(await ctx.queues().sync.getJobScheduler(`sync:${accountId}`)).toBeFalsy();
    await expect(refreshAccessToken(gmailOAuthSettings(ctx.config), refreshToken)).rejects.toMatchObject({
      code: 'AUTH_REVOKED',
    });
    expect((await client.get('/settings?notice=disconnected')).body).toContain('No mailbox is connected.');
  });

  it('deletes all of a user’s data after confirmation, revokes tokens and signs out', async () => {
    await connectThroughWeb(client, '/oauth/gmail/start?next=/settings');
    const account = await ctx.prisma.mailAccount.findFirstOrThrow({ where: { userId } });
    await syncOnce(ctx, account.id);
    const refreshToken = ctx.cipher.decrypt(account.refreshTokenEnc ?? '', account.id);
    const session = client.cookies.get(SESSION_COOKIE)?.value ?? '';

    const form = await client.get('/delete');
    expect(form.statusCode).toBe(200);
    const unconfirmed = await client.post('/delete', { _csrf: WebClient.csrfOf(form.body), confirm: '' });
    expect(unconfirmed.statusCode).toBe(400);
    expect(await ctx.prisma.user.count({ where: { id: userId } })).toBe(1);

    const deleted = await client.post('/delete', { _csrf: WebClient.csrfOf(form.body), confirm: 'delete' });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.body).toContain('Your data is deleted');
    const counts = await Promise.all([
      ctx.prisma.user.count({ where: { id: userId } }),
      ctx.prisma.mailAccount.count({ where: { userId } }),
      ctx.prisma.interaction.count({ where: { userId } }),
      ctx.prisma.contact.count({ where: { userId } }),
      ctx.prisma.contactAddress.count({ where: { userId } }),
      ctx.prisma.digest.count({ where: { userId } }),
    ]);
    expect(counts).toEqual([0, 0, 0, 0, 0, 0]);
    expect(await ctx.queues().digest.getJobScheduler(`digest:${userId}`)).toBeFalsy();
    await expect(refreshAccessToken(gmailOAuthSettings(ctx.config), refreshToken)).rejects.toMatchObject({
      code: 'AUTH_REVOKED',
    });
    expect(client.cookies.has(SESSION_COOKIE)).toBe(false);
    const replay = new WebClient(app);
    replay.cookies.set(SESSION_COOKIE, { value: session, path: '/' });
    expect((await replay.get('/people')).statusCode).toBe(303);
  });
});
