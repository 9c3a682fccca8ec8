import { createHash, randomBytes } from 'node:crypto';
import { google } from 'googleapis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGmail, startFakeGmail } from '../fakes/gmail/fake-gmail.ts';
import { buildSampleMailbox, SAMPLE_OWNER } from '../fixtures/sample-mailbox.ts';

const CLIENT_ID = '1234567890-touchbase.apps.googleusercontent.com';
const CLIENT_SECRET = 'GOCSPX-fake-secret';
const READONLY = 'https://www.googleapis.com/auth/gmail.readonly';
const METADATA = 'https://www.googleapis.com/auth/gmail.metadata';
const REDIRECT = 'http://127.0.0.1:53682/oauth2callback';
const NOW = new Date();
const sample = buildSampleMailbox({ owner: SAMPLE_OWNER.email, ownerName: SAMPLE_OWNER.name, now: NOW });

interface Pkce {
  verifier: string;
  challenge: string;
}
const pkce = (): Pkce => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

/** Drives the consent redirect the way a browser would, returning the 302's Location. */
async function authorize(fake: FakeGmail, p: Pkce, extra: Record<string, string> = {}) {
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT,
    scope: READONLY,
    state: 's t&a=te/ü',
    code_challenge: p.challenge,
    code_challenge_method: 'S256',
    access_type: 'offline',
    prompt: 'consent',
    ...extra,
  });
  const res = await fetch(`${fake.authUrl}?${params}`, { redirect: 'manual' });
  const location = res.headers.get('location');
  return { res, location: location ? new URL(location) : null };
}

async function exchange(fake: FakeGmail, form: Record<string, string>) {
  const res = await fetch(fake.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, ...form }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

async function connect(fake: FakeGmail, scope = READONLY) {
  const p = pkce();
  const { location } = await authorize(fake, p, { scope });
  const code = location?.searchParams.get('code') ?? '';
  const { body } = await exchange(fake, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT,
    code_verifier: p.verifier,
  });
  return body;
}

function gmailWith(fake: FakeGmail, accessToken: string) {
  const auth = new google.auth.OAuth2(CLIENT_ID, CLIENT_SECRET);
  auth.setCredentials({ access_token: accessToken });
  return google.gmail({ version: 'v1', rootUrl: fake.apiUrl, auth });
}

/** The HTTP status, Google error body and headers of a rejected googleapis call. */
async function failure(p: Promise<unknown>) {
  const err = await p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e as { status?: number; response?: { data: unknown; headers: Headers } },
  );
  const data = err.response?.data as {
    error: { code: number; status: string; errors: { reason: string }[] };
  };
  return { status: err.status, error: data.error, headers: err.response?.headers };
}

describe('fake Gmail: OAuth', () => {
  let fake: FakeGmail;
  beforeAll(async () => {
    fake = await startFakeGmail({
      email: SAMPLE_OWNER.email,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
    });
  });
  afterAll(() => fake.close());

  it('approves with a code, the granted scopes and the state echoed exactly', async () => {
    const { res, location } = await authorize(fake, pkce());
    expect(res.status).toBe(302);
    expect(location?.origin + (location?.pathname ?? '')).toBe(REDIRECT);
    expect(location?.searchParams.get('state')).toBe('s t&a=te/ü');
    expect(location?.searchParams.get('code')).toMatch(/^4\/0A/);
    expect(location?.searchParams.get('scope')).toBe(READONLY);
    expect(location?.searchParams.get('authuser')).toBe('0');
    expect(fake.lastAuthorizeRequest?.get('access_type')).toBe('offline');
  });

  it('shows an error page, without redirecting, for a bad client, redirect URI or PKCE method', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ client_id: 'someone-else' }, 'invalid_client'],
      [{ redirect_uri: 'https://attacker.example.net/cb' }, 'redirect_uri_mismatch'],
      [{ code_challenge_method: 'plain' }, 'invalid_request'],
    ];
    for (const [extra, error] of cases) {
      const { res, location } = await authorize(fake, pkce(), extra);
      expect(res.status).toBe(400);
      expect(location).toBeNull();
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(await res.text()).toContain(error);
    }
  });

  it('redirects with access_denied when the user denies consent', async () => {
    fake.setConsent('deny');
    const { location } = await authorize(fake, pkce());
    fake.setConsent('approve');
    expect(location?.searchParams.get('error')).toBe('access_denied');
    expect(location?.searchParams.get('state')).toBe('s t&a=te/ü');
  });

  it('exchanges a code once, and only with the matching PKCE verifier', async () => {
    const p = pkce();
    const code = (await authorize(fake, p)).location?.searchParams.get('code') ?? '';
    const wrong = await exchange(fake, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      code_verifier: pkce().verifier,
    });
    expect(wrong).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid code verifier.' },
    });

    const p2 = pkce();
    const code2 = (await authorize(fake, p2)).location?.searchParams.get('code') ?? '';
    const form = {
      grant_type: 'authorization_code',
      code: code2,
      redirect_uri: REDIRECT,
      code_verifier: p2.verifier,
    };
    const ok = await exchange(fake, form);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'Bearer', expires_in: 3599, scope: READONLY });
    expect(ok.body.access_token).toMatch(/^ya29\./);
    expect(ok.body.refresh_token).toMatch(/^1\/\/0/);
    expect((await exchange(fake, form)).body.error).toBe('invalid_grant');
    expect((await exchange(fake, { ...form, client_secret: 'nope' })).status).toBe(401);
  });

  it('refreshes through google-auth-library until revoked, then answers invalid_grant and 401', async () => {
    const tokens = await connect(fake);
    const auth = new google.auth.OAuth2({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      endpoints: { oauth2TokenUrl: fake.tokenUrl },
    });
    auth.setCredentials({ refresh_token: tokens.refresh_token ?? '' });
    const refreshed = await auth.refreshAccessToken();
    expect(refreshed.credentials.access_token).toMatch(/^ya29\./);
    expect(fake.stats.tokenGrants.refresh_token).toBe(1);

    fake.revokeRefreshTokens();
    const revoked = await exchange(fake, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token ?? '',
    });
    expect(revoked).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' },
    });
    const gmail = gmailWith(fake, refreshed.credentials.access_token ?? '');
    expect((await failure(gmail.users.getProfile({ userId: 'me' }))).status).toBe(401);
  });
});

describe('fake Gmail: API over the sample mailbox', () => {
  let fake: FakeGmail;
  let gmail: ReturnType<typeof gmailWith>;
  beforeAll(async () => {
    fake = await startFakeGmail({
      email: SAMPLE_OWNER.email,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      messages: sample.messages,
      sendAs: sample.sendAs,
    });
    gmail = gmailWith(fake, (await connect(fake)).access_token ?? '');
  });
  afterAll(() => fake.close());

  it('pages through every message exactly once, newest first', async () => {
    const seen: string[] = [];
    let pageToken: string | undefined;
    do {
      const res = await gmail.users.messages.list({ userId: 'me', includeSpamTrash: true, pageToken });
      seen.push(...(res.data.messages ?? []).map((m) => m.id ?? ''));
      pageToken = res.data.nextPageToken ?? undefined;
    } while (pageToken);
    expect(seen).toHaveLength(sample.messages.length);
    expect(new Set(seen).size).toBe(seen.length);
    const newestFirst = [...sample.messages]
      .sort((a, b) => b.internalDate - a.internalDate || (a.id < b.id ? 1 : -1))
      .map((m) => m.id);
    expect(seen).toEqual(newestFirst);
  });

  it('hides spam and trash by default, caps maxResults at 500 and rejects a forged page token', async () => {
    const all = await gmail.users.messages.list({ userId: 'me', maxResults: 1000 });
    expect(all.data.messages).toHaveLength(500);
    expect(all.data.resultSizeEstimate).toBe(sample.messages.length - 2);
    const bad = await failure(gmail.users.messages.list({ userId: 'me', pageToken: 'bm90LWEtdG9rZW4' }));
    expect(bad.status).toBe(400);
  });

  it('filters by labelIds and q dates, and omits `messages` when nothing matches', async () => {
    const since = Math.floor(NOW.getTime() / 1000) - 7 * 86_400;
    const res = await gmail.users.messages.list({ userId: 'me', labelIds: ['SENT'], q: `after:${since}` });
    const expected = sample.messages.filter(
      (m) => m.labelIds.includes('SENT') && m.internalDate >= since * 1000,
    );
    expect(res.data.messages?.map((m) => m.id).sort()).toEqual(expected.map((m) => m.id).sort());
    const none = await gmail.users.messages.list({ userId: 'me', q: 'before:2001/01/01' });
    expect(none.data).toEqual({ resultSizeEstimate: 0 });
  });

  it("estimates the whole query's results, the same on every page (resultSizeEstimate)", async () => {
    const since = Math.floor(NOW.getTime() / 1000) - 90 * 86_400;
    const matching = sample.messages.filter(
      (m) => m.internalDate >= since * 1000 && !m.labelIds.some((l) => l === 'SPAM' || l === 'TRASH'),
    );
    expect(matching.length).toBeGreaterThan(20);
    expect(matching.length).toBeLessThan(sample.messages.length - 2);
    const first = await gmail.users.messages.list({ userId: 'me', q: `after:${since}`, maxResults: 10 });
    expect(first.data.resultSizeEstimate).toBe(matching.length);
    const second = await gmail.users.messages.list({
      userId: 'me',
      q: `after:${since}`,
      maxResults: 10,
      pageToken: first.data.nextPageToken ?? '',
    });
    expect(second.data.messages).toHaveLength(10);
    expect(second.data.resultSizeEstimate).toBe(matching.length);
  });

  it('returns only the requested metadataHeaders, matched case-insensitively, decoded', async () => {
    const jose = sample.messages.find((m) =>
      m.headers.some((h) => h.name === 'From' && h.value.includes('jose.nunez@example.org')),
    );
    const res = await gmail.users.messages.get({
      userId: 'me',
      id: jose?.id ?? '',
      format: 'metadata',
      metadataHeaders: ['from', 'SUBJECT', 'x-not-there'],
    });
    expect(res.data.payload?.headers?.map((h) => h.name).sort()).toEqual(['From', 'Subject']);
    expect(res.data.payload?.headers?.find((h) => h.name === 'From')?.value).toBe(
      'José Núñez <jose.nunez@example.org>',
    );
    expect(res.data.internalDate).toBe(String(jose?.internalDate));
    expect(typeof res.data.historyId).toBe('string');
    const minimal = await gmail.users.messages.get({ userId: 'me', id: jose?.id ?? '', format: 'minimal' });
    expect(minimal.data.payload).toBeUndefined();
    const missing = await failure(gmail.users.messages.get({ userId: 'me', id: 'ffffffffffffffff' }));
    expect([missing.status, missing.error.errors[0]?.reason, missing.error.status]).toEqual([
      404,
      'notFound',
      'NOT_FOUND',
    ]);
  });

  it('gets a thread oldest first, the profile and the send-as aliases', async () => {
    const party = sample.messages.filter((m) =>
      m.headers.some((h) => h.name === 'Subject' && h.value.includes('=?UTF-8?B?')),
    );
    const thread = await gmail.users.threads.get({
      userId: 'me',
      id: party[0]?.threadId ?? '',
      format: 'metadata',
    });
    const dates = thread.data.messages?.map((m) => Number(m.internalDate)) ?? [];
    expect(dates.length).toBeGreaterThan(3);
    expect(dates).toEqual([...dates].sort((a, b) => a - b));
    const profile = await gmail.users.getProfile({ userId: 'me' });
    expect(profile.data).toMatchObject({
      emailAddress: SAMPLE_OWNER.email,
      messagesTotal: sample.messages.length,
    });
    const sendAs = await gmail.users.settings.sendAs.list({ userId: 'me' });
    expect(sendAs.data.sendAs?.map((s) => s.sendAsEmail)).toEqual([
      SAMPLE_OWNER.email,
      ...sample.expected.aliases,
    ]);
  });

  it('lists history after addMessage and deleteMessage, and 404s once history expires', async () => {
    const start = (await gmail.users.getProfile({ userId: 'me' })).data.historyId ?? '';
    fake.addMessage({
      id: 'ffff000000000001',
      threadId: 'ffff000000000001',
      labelIds: ['INBOX', 'UNREAD'],
      internalDate: Date.now(),
      headers: [{ name: 'From', value: 'Jordan Lee <jordan.lee@example.org>' }],
    });
    fake.deleteMessage('ffff000000000001');
    const history = await gmail.users.history.list({ userId: 'me', startHistoryId: start });
    expect(history.data.history?.map((h) => Object.keys(h).filter((k) => k.startsWith('messages')))).toEqual([
      ['messages', 'messagesAdded'],
      ['messages', 'messagesDeleted'],
    ]);
    expect(Number(history.data.historyId)).toBeGreaterThan(Number(start));
    const added = await gmail.users.history.list({
      userId: 'me',
      startHistoryId: start,
      historyTypes: ['messageAdded'],
    });
    expect(added.data.history?.[0]?.messagesAdded?.[0]?.message?.id).toBe('ffff000000000001');

    fake.expireHistory();
    const gone = await failure(gmail.users.history.list({ userId: 'me', startHistoryId: start }));
    expect([gone.status, gone.error.errors[0]?.reason]).toEqual([404, 'notFound']);
    const fresh = (await gmail.users.getProfile({ userId: 'me' })).data.historyId ?? '';
    const empty = await gmail.users.history.list({ userId: 'me', startHistoryId: fresh });
    expect(empty.data).toEqual({ historyId: fresh });
  });

  it('answers 401 with Google’s error body for a bad token', async () => {
    const res = await failure(gmailWith(fake, 'ya29.not-a-token').users.getProfile({ userId: 'me' }));
    expect(res.status).toBe(401);
    expect(res.error).toMatchObject({
      code: 401,
      status: 'UNAUTHENTICATED',
      errors: [{ reason: 'authError' }],
    });
  });

  it('sends an injected 429 with Retry-After, which the client retries by default', async () => {
    fake.injectFault({ path: /\/profile/, status: 429, retryAfterSeconds: 7 });
    const limited = await failure(gmail.users.getProfile({ userId: 'me' }, { retry: false }));
    expect(limited.status).toBe(429);
    expect(limited.headers?.get('retry-after')).toBe('7');
    expect(limited.error).toMatchObject({
      status: 'RESOURCE_EXHAUSTED',
      errors: [{ reason: 'rateLimitExceeded' }],
    });

    fake.injectFault({ path: /\/profile/, status: 500 });
    const before = fake.stats.byEndpoint['users.getProfile'] ?? 0;
    await gmail.users.getProfile({ userId: 'me' });
    expect(fake.stats.byEndpoint['users.getProfile']).toBe(before + 2);
  });
});

describe('fake Gmail: gmail.metadata scope', () => {
  let fake: FakeGmail;
  let gmail: ReturnType<typeof gmailWith>;
  beforeAll(async () => {
    fake = await startFakeGmail({
      email: SAMPLE_OWNER.email,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      messages: sample.messages.slice(0, 20),
      grantScopes: [METADATA],
    });
    gmail = gmailWith(fake, (await connect(fake, `${METADATA} ${READONLY}`)).access_token ?? '');
  });
  afterAll(() => fake.close());

  it('grants only the allowed scope and refuses q, format=full and sendAs', async () => {
    expect(fake.lastAuthorizeRequest?.get('scope')).toBe(`${METADATA} ${READONLY}`);
    const q = await failure(gmail.users.messages.list({ userId: 'me', q: 'in:sent' }));
    expect([q.status, q.error.errors[0]?.reason]).toEqual([403, 'forbidden']);
    expect(JSON.stringify(q.error)).toContain("Metadata scope does not support 'q' parameter");
    const id = sample.messages[0]?.id ?? '';
    const full = await failure(gmail.users.messages.get({ userId: 'me', id }));
    expect(JSON.stringify(full.error)).toContain("Metadata scope doesn't allow format FULL");
    const meta = await gmail.users.messages.get({ userId: 'me', id, format: 'metadata' });
    expect(meta.data.payload?.headers?.length).toBeGreaterThan(0);
    const sendAs = await failure(gmail.users.settings.sendAs.list({ userId: 'me' }));
    expect([sendAs.status, sendAs.error.errors[0]?.reason]).toEqual([403, 'insufficientPermissions']);
  });
});

describe('sample mailbox', () => {
  it('is deterministic, a year long, 400–800 messages, all before now', () => {
    const again = buildSampleMailbox({ owner: SAMPLE_OWNER.email, ownerName: SAMPLE_OWNER.name, now: NOW });
    expect(again.messages).toEqual(sample.messages);
    expect(sample.messages.length).toBeGreaterThanOrEqual(400);
    expect(sample.messages.length).toBeLessThanOrEqual(800);
    const dates = sample.messages.map((m) => m.internalDate);
    expect(Math.max(...dates)).toBeLessThan(NOW.getTime());
    expect(NOW.getTime() - Math.min(...dates)).toBeGreaterThan(330 * 86_400_000);
    expect(new Set(sample.messages.map((m) => m.id)).size).toBe(sample.messages.length);
  });

  it('keeps the shape its expectations rely on in the last 30 days', () => {
    const { expected } = sample;
    const own = [SAMPLE_OWNER.email, ...expected.aliases];
    const value = (m: (typeof sample.messages)[number], name: string) =>
      m.headers.find((h) => h.name === name)?.value ?? '';
    const sender = (m: (typeof sample.messages)[number]) =>
      (/<([^>]+)>/.exec(value(m, 'From'))?.[1] ?? value(m, 'From')).toLowerCase();
    const human = (m: (typeof sample.messages)[number]) =>
      !m.labelIds.includes('DRAFT') &&
      !value(m, 'Auto-Submitted') &&
      !value(m, 'List-Id') &&
      !value(m, 'Precedence');
    const threads = new Map<string, typeof sample.messages>();
    for (const m of sample.messages.filter(human))
      threads.set(m.threadId, [...(threads.get(m.threadId) ?? []), m]);
    const endsWithThem: string[] = [];
    const unanswered: string[] = [];
    for (const thread of threads.values()) {
      const last = thread.at(-1);
      if (!last || NOW.getTime() - last.internalDate > 30 * 86_400_000) continue;
      const from = sender(last);
      if (!own.includes(from) && expected.contacts.includes(from)) endsWithThem.push(from);
      const to = /<([^>]+)>/.exec(value(last, 'To'))?.[1]?.toLowerCase() ?? '';
      if (
        own.includes(from) &&
        thread.every((m) => own.includes(sender(m))) &&
        expected.contacts.includes(to)
      ) {
        unanswered.push(to);
      }
    }
    expect(endsWithThem).toEqual(expected.oweReply);
    expect(unanswered).toEqual(expected.awaitingReply);
  });
});
