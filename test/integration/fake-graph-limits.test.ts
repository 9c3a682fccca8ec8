import type { GraphError } from '@microsoft/microsoft-graph-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGraph, startFakeGraph } from '../fakes/graph/fake-graph.ts';
import { signInToFake } from '../fakes/graph/sign-in.ts';
import { fakeGraphClient as graphClient, noRetry, numberedMessage } from '../fakes/graph/test-client.ts';

const clientId = '11111111-2222-3333-4444-555555555555';
const email = 'ada@contoso.example';
const MAIL_READ = ['openid', 'offline_access', 'User.Read', 'Mail.Read'];
const msg = (i: number, folder: string) => numberedMessage(i, folder, email);

describe('fake Graph: scopes, throttling and faults', () => {
  let fake: FakeGraph;
  beforeAll(async () => {
    fake = await startFakeGraph({
      email,
      clientId,
      messages: Array.from({ length: 5 }, (_, i) => msg(i, 'inbox')),
    });
  });
  afterAll(() => fake.close());

  it('refuses bodies and headers to Mail.ReadBasic but serves header fields', async () => {
    const t = await signInToFake(fake, { clientId, scopes: ['User.Read', 'Mail.ReadBasic'] });
    const c = graphClient(fake, t.access_token);
    const page = (await c.api('/me/mailFolders/inbox/messages/delta').select('subject,from').get()) as {
      value: unknown[];
    };
    expect(page.value).toHaveLength(5);
    const id = fake.messages()[0]?.id ?? '';
    await expect(c.api(`/me/messages/${id}`).select('body').get()).rejects.toMatchObject({
      statusCode: 403,
      code: 'ErrorAccessDenied',
    });
    await expect(
      c.api('/me/mailFolders/inbox/messages/delta').select('uniqueBody').get(),
    ).rejects.toMatchObject({ statusCode: 403 });
    const plain = (await c.api(`/me/messages/${id}`).get()) as Record<string, unknown>;
    expect(plain.subject).toBeTruthy();
    expect(plain.body).toBeUndefined();
  });

  it('answers 401 InvalidAuthenticationToken for an expired access token', async () => {
    const t = await signInToFake(fake, { clientId, scopes: MAIL_READ });
    fake.expireAccessTokens();
    await expect(
      graphClient(fake, t.access_token).api('/me').middlewareOptions(noRetry()).get(),
    ).rejects.toMatchObject({
      statusCode: 401,
      code: 'InvalidAuthenticationToken',
    });
  });

  it('throttles over 4 concurrent requests with 429 MailboxConcurrency and Retry-After', async () => {
    const t = await signInToFake(fake, { clientId, scopes: MAIL_READ });
    // Long enough that every call below arrives while the first four are still in flight.
    fake.setLatency({ fixedMs: 3000 });
    try {
      const results = await Promise.all(
        Array.from({ length: 7 }, () =>
          fetch(`${fake.graphUrl}v1.0/me/mailFolders/inbox`, {
            headers: { authorization: `Bearer ${t.access_token}` },
          }).then(async (r) => ({
            status: r.status,
            retryAfter: r.headers.get('retry-after'),
            body: (await r.json()) as { error?: { code: string; message: string } },
          })),
        ),
      );
      const throttled = results.filter((r) => r.status === 429);
      expect(results.filter((r) => r.status === 200).length).toBeLessThanOrEqual(4);
      expect(throttled.length).toBeGreaterThanOrEqual(1);
      expect(throttled[0]?.retryAfter).toBe('1');
      expect(throttled[0]?.body.error?.code).toBe('ApplicationThrottled');
      expect(throttled[0]?.body.error?.message).toMatch(/MailboxConcurrency/);
      expect(fake.stats.maxConcurrent).toBeLessThanOrEqual(4);
    } finally {
      fake.setLatency(undefined);
    }
  });

  it('throttles over the request window with 429 and a Retry-After until the window frees', async () => {
    // A fresh mailbox, so that no earlier request sits in the window.
    const own = await startFakeGraph({
      email,
      clientId,
      limits: { requestsPerWindow: 3, windowMs: 120_000 },
    });
    try {
      const t = await signInToFake(own, { clientId, scopes: MAIL_READ });
      const c = graphClient(own, t.access_token);
      for (let i = 0; i < 3; i += 1) await c.api('/me').get();
      const err = (await c
        .api('/me')
        .middlewareOptions(noRetry())
        .get()
        .catch((e: unknown) => e)) as GraphError;
      expect(err.statusCode).toBe(429);
      expect(err.message).toMatch(/RequestRate/);
      expect(Number(err.headers?.get('retry-after'))).toBeGreaterThan(60);
      expect(own.stats.throttledByKind.rate).toBe(1);
      expect(own.stats.throttled).toBe(1);
      // identity requests are not Graph calls: signing in again still works
      await expect(signInToFake(own, { clientId, scopes: MAIL_READ })).resolves.toBeTruthy();
    } finally {
      await own.close();
    }
  });

  it('throttles batch items like any other call: each takes a concurrency slot', async () => {
    const t = await signInToFake(fake, { clientId, scopes: MAIL_READ });
    const c = graphClient(fake, t.access_token);
    const before = fake.stats.throttledByKind.concurrency;
    // Long enough that every call below arrives while the first four are still in flight.
    fake.setLatency({ fixedMs: 3000 });
    try {
      const plain = [1, 2].map(() =>
        c
          .api('/me/mailFolders/inbox')
          .middlewareOptions(noRetry())
          .get()
          .catch((e: unknown) => e),
      );
      const batch = (await c.api('/$batch').post({
        requests: Array.from({ length: 4 }, (_, i) => ({
          id: String(i),
          method: 'GET',
          url: '/me/mailFolders/inbox?$select=id',
        })),
      })) as { responses: { status: number; headers: Record<string, string> }[] };
      await Promise.all(plain);
      const throttledItems = batch.responses.filter((r) => r.status === 429);
      expect(fake.stats.throttledByKind.concurrency - before).toBeGreaterThanOrEqual(1);
      for (const r of throttledItems) expect(r.headers['Retry-After']).toBe('1');
      expect(fake.stats.maxConcurrent).toBeLessThanOrEqual(4);
    } finally {
      fake.setLatency(undefined);
    }
  });

  it('injects faults by path, e.g. a 503 then success', async () => {
    const t = await signInToFake(fake, { clientId, scopes: MAIL_READ });
    fake.injectFault({ path: /\/mailFolders\/inbox$/, status: 503, retryAfterSeconds: 2 });
    const c = graphClient(fake, t.access_token);
    const err = (await c
      .api('/me/mailFolders/inbox')
      .middlewareOptions(noRetry())
      .get()
      .catch((e: unknown) => e)) as GraphError;
    expect(err.statusCode).toBe(503);
    expect((await c.api('/me/mailFolders/inbox').get()) as { displayName: string }).toMatchObject({
      displayName: 'Inbox',
    });
  });

  it('matches faults on the decoded path and query, e.g. resyncRequired on a deltaLink', async () => {
    const t = await signInToFake(fake, { clientId, scopes: MAIL_READ });
    const c = graphClient(fake, t.access_token);
    const inbox = fake.folderId('inbox');
    const first = (await c.api(`/me/mailFolders/${encodeURIComponent(inbox)}/messages/delta`).get()) as {
      '@odata.deltaLink': string;
    };
    fake.injectFault({ path: new RegExp(`${inbox}.*\\$deltatoken=`), status: 410, code: 'resyncRequired' });
    const err = (await c
      .api(first['@odata.deltaLink'])
      .get()
      .catch((e: unknown) => e)) as GraphError;
    expect([err.statusCode, err.code]).toEqual([410, 'resyncRequired']);
    expect((await c.api(first['@odata.deltaLink']).get()) as { value: unknown[] }).toMatchObject({
      value: [],
    });
  });
});
