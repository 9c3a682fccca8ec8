import { createHash, randomBytes } from 'node:crypto';
import { google } from 'googleapis';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeGmail, type FakeGmailOptions, startFakeGmail } from '../fakes/gmail/fake-gmail.ts';
import { MailFactory, seededRandom } from '../fakes/gmail/mail-builder.ts';

const CLIENT_ID = '1234567890-touchbase.apps.googleusercontent.com';
const CLIENT_SECRET = 'GOCSPX-fake-secret';
const REDIRECT = 'http://127.0.0.1:53682/oauth2callback';
const OWNER = { name: 'Quota Owner', email: 'quota.owner@example.com' };

/** Ten messages in five two-message threads. */
function mailbox() {
  const factory = new MailFactory(OWNER, [OWNER.email], seededRandom(7));
  const friend = { name: 'Friend', email: 'friend@example.org' };
  const t0 = Date.parse('2026-10-01T10:00:00Z');
  return Array.from({ length: 5 }, (_, i) => {
    const thread = factory.start({
      at: t0 + i * 86_400_000,
      from: friend,
      to: [OWNER],
      subject: `Topic ${i}`,
      labelIds: ['INBOX'],
      body: 'hello',
    });
    factory.reply(thread, {
      at: t0 + i * 86_400_000 + 3_600_000,
      from: OWNER,
      to: [friend],
      labelIds: ['SENT'],
      body: 'hi',
    });
    return thread;
  }).flat();
}

const fakes: FakeGmail[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

/** A fake with the given quota settings and a googleapis client holding a token it issued. */
async function start(extra: Partial<FakeGmailOptions>) {
  const messages = mailbox();
  const fake = await startFakeGmail({
    email: OWNER.email,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    messages,
    ...extra,
  });
  fakes.push(fake);
  const verifier = randomBytes(32).toString('base64url');
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT,
    scope: 'https://www.googleapis.com/auth/gmail.readonly',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const consent = await fetch(`${fake.authUrl}?${params}`, { redirect: 'manual' });
  const code = new URL(consent.headers.get('location') ?? '').searchParams.get('code') ?? '';
  const tokenRes = await fetch(fake.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    }),
  });
  const { access_token } = (await tokenRes.json()) as { access_token: string };
  const auth = new google.auth.OAuth2(CLIENT_ID, CLIENT_SECRET);
  auth.setCredentials({ access_token });
  // retry: false, so a refusal is seen as Google sent it rather than retried by gaxios.
  const gmail = google.gmail({ version: 'v1', rootUrl: fake.apiUrl, auth, retry: false });
  const get = (id: string) => gmail.users.messages.get({ userId: 'me', id, format: 'metadata' });
  const thread = (id: string) => gmail.users.threads.get({ userId: 'me', id, format: 'metadata' });
  return { fake, gmail, messages, get, thread };
}

/** The status, Google error envelope and headers of a refused googleapis call. */
async function refusal(p: Promise<unknown>) {
  const err = await p.then(
    () => {
      throw new Error('expected the call to be refused');
    },
    (e: unknown) => e as { status?: number; response?: { data: unknown; headers: Headers } },
  );
  const data = err.response?.data as {
    error: { code: number; message: string; errors: { reason: string; domain: string; message: string }[] };
  };
  return { status: err.status, error: data.error, retryAfter: err.response?.headers.get('retry-after') };
}

describe('fake Gmail: the per-user quota (legacy regime)', () => {
  it('charges each method its units and refuses the call that would pass the minute budget, as Google does', async () => {
    const { fake, gmail, messages, get } = await start({ quota: { regime: 'legacy', unitsPerMinute: 50 } });
    await gmail.users.getProfile({ userId: 'me' }); // 1
    await gmail.users.messages.list({ userId: 'me' }); // 5
    await gmail.users.history.list({ userId: 'me', startHistoryId: '4100000' }); // 2
    await gmail.users.settings.sendAs.list({ userId: 'me' }); // 1
    for (const m of messages.slice(0, 8)) await get(m.id); // 8 x 5 = 40, 49 in all
    const r = await refusal(get(messages[8]?.id ?? ''));
    expect(r.status).toBe(403);
    expect(r.error.message).toBe('User Rate Limit Exceeded');
    expect(r.error.errors[0]).toEqual({
      reason: 'userRateLimitExceeded',
      domain: 'usageLimits',
      message: 'User Rate Limit Exceeded',
    });
    expect(r.retryAfter).toBeNull();
    // One unit is left: getProfile still fits.
    await gmail.users.getProfile({ userId: 'me' });

    const q = fake.stats.quota;
    expect(q.units).toEqual({
      'users.getProfile': 2,
      'users.messages.list': 5,
      'users.history.list': 2,
      'users.settings.sendAs.list': 1,
      'users.messages.get': 40,
    });
    expect(q.requests['users.messages.get']).toBe(8);
    expect(q.unitsTotal).toBe(50);
    expect(q.peakWindowUnits).toBe(50);
    expect(q.rejected).toEqual({ userRateLimit: 1, concurrency: 0 });
    expect(fake.stats.byEndpoint['users.messages.get']).toBe(9);
  });

  it('frees units as they leave the sliding 60-second window, not at a minute boundary', async () => {
    let now = Date.parse('2026-11-01T00:00:30Z');
    const { fake, messages, get } = await start({
      quota: { regime: 'legacy', unitsPerMinute: 20 },
      now: () => now,
    });
    const ids = messages.map((m) => m.id);
    await get(ids[0] ?? ''); // t=0
    now += 20_000;
    await get(ids[1] ?? ''); // t=20s
    now += 20_000;
    await get(ids[2] ?? ''); // t=40s
    await get(ids[3] ?? ''); // 20 units within the minute
    now += 15_000; // t=55s: a fixed-minute limiter would have reset at t=30s
    expect((await refusal(get(ids[4] ?? ''))).status).toBe(403);
    now += 5_000; // t=60s: the call of t=0 has left the window
    await get(ids[4] ?? '');
    expect((await refusal(get(ids[5] ?? ''))).status).toBe(403);
    now += 20_000; // t=80s: the call of t=20s has left too
    await get(ids[5] ?? '');
    expect(fake.stats.quota.peakWindowUnits).toBe(20);
    expect(fake.stats.quota.rejected.userRateLimit).toBe(2);
  });
});

describe('fake Gmail: the 2026 regime', () => {
  it('charges 20 units a message and 40 a thread against a 6,000-unit minute', async () => {
    const { fake, messages, get, thread } = await start({ quota: { regime: '2026' } });
    const first = messages[0];
    if (!first) throw new Error('empty mailbox');
    await get(first.id);
    await thread(first.threadId);
    expect(fake.stats.quota.unitsPerMinute).toBe(6_000);
    expect(fake.stats.quota.units).toEqual({ 'users.messages.get': 20, 'users.threads.get': 40 });
  });

  it('refuses a thread read that the remaining units cannot pay for', async () => {
    const { fake, messages, get, thread } = await start({ quota: { regime: '2026', unitsPerMinute: 100 } });
    const first = messages[0];
    if (!first) throw new Error('empty mailbox');
    await thread(first.threadId); // 40
    await get(first.id); // 60
    await get(first.id); // 80
    expect((await refusal(thread(first.threadId))).error.errors[0]?.reason).toBe('userRateLimitExceeded');
    await get(first.id); // 100: a cheaper call still fits
    expect(fake.stats.quota.unitsTotal).toBe(100);
  });
});

describe('fake Gmail: concurrency, latency, 5xx and time scale', () => {
  it('answers 429 "Too many concurrent requests for user" past the per-user concurrency limit', async () => {
    const { fake, messages, get } = await start({ maxConcurrentRequests: 2, latency: { fixedMs: 300 } });
    const results = await Promise.allSettled(messages.slice(0, 3).map((m) => get(m.id)));
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(1);
    const r = await refusal(Promise.reject((refused[0] as PromiseRejectedResult).reason));
    expect(r.status).toBe(429);
    expect(r.error.message).toBe('Too many concurrent requests for user');
    expect(r.error.errors[0]?.reason).toBe('rateLimitExceeded');
    expect(fake.stats.quota.rejected.concurrency).toBe(1);
    // Once the two in flight have answered, calls go through again.
    await get(messages[3]?.id ?? '');
  });

  it('scales the budget up and the latency down by one factor, and is unlimited by default', async () => {
    const scaled = await start({
      quota: { regime: 'legacy', unitsPerMinute: 10 },
      timeScale: 10,
      latency: { fixedMs: 2_000 },
    });
    expect(scaled.fake.stats.quota.unitsPerMinute).toBe(100);
    const started = performance.now();
    for (const m of scaled.messages) await scaled.get(m.id); // 10 x 5 = 50 units, 200 ms each
    expect(performance.now() - started).toBeGreaterThanOrEqual(10 * 190);
    expect(scaled.fake.stats.quota.rejected.userRateLimit).toBe(0);

    const plain = await start({});
    for (let i = 0; i < 50; i++) await plain.get(plain.messages[i % 10]?.id ?? '');
    expect(plain.fake.stats.quota.unitsPerMinute).toBeNull();
    expect(plain.fake.stats.quota.rejected).toEqual({ userRateLimit: 0, concurrency: 0 });
  });

  it('answers a share of calls with 503 backendError when asked to', async () => {
    const { fake, messages, get } = await start({ serverErrorRate: 1 });
    const r = await refusal(get(messages[0]?.id ?? ''));
    expect(r.status).toBe(503);
    expect(r.error.errors[0]?.reason).toBe('backendError');
    expect(fake.stats.serverErrors).toBe(1);
  });
});
