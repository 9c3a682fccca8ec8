import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { Client, GraphError } from '@microsoft/microsoft-graph-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGraph, type FakeGraphMessageSpec, startFakeGraph } from '../fakes/graph/fake-graph.ts';
import { signInToFake } from '../fakes/graph/sign-in.ts';
import { fakeGraphClient as graphClient, numberedMessage } from '../fakes/graph/test-client.ts';
import { graphTlsEnv } from '../fakes/graph/tls.ts';

const execFileAsync = promisify(execFile);
const clientId = '11111111-2222-3333-4444-555555555555';
const email = 'ada@contoso.example';
const MAIL_READ = ['openid', 'offline_access', 'User.Read', 'Mail.Read'];
const msg = (i: number, folder: string, extra: Partial<FakeGraphMessageSpec> = {}) =>
  numberedMessage(i, folder, email, extra);

describe('fake Graph: identity', () => {
  let fake: FakeGraph;
  beforeAll(async () => {
    fake = await startFakeGraph({ email, clientId });
  });
  afterAll(() => fake.close());

  it('answers plain fetch over TLS trusted through NODE_EXTRA_CA_CERTS', async () => {
    const res = await fetch(`${fake.graphUrl}v1.0/me`);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { code: string } };
    expect(body.error.code).toBe('InvalidAuthenticationToken');
  });

  it('is trusted by child processes given graphTlsEnv()', async () => {
    // Asynchronous: the fake lives in this process, so a blocking spawnSync would starve it.
    const probe = (env: NodeJS.ProcessEnv) =>
      execFileAsync(
        process.execPath,
        [
          '-e',
          `fetch(${JSON.stringify(`${fake.graphUrl}v1.0/me`)}).then((r) => console.log(r.status), (e) => console.log(e.cause?.code))`,
        ],
        { env },
      ).then((r) => r.stdout.trim());
    expect(await probe({ ...process.env, ...graphTlsEnv() })).toBe('401');
    expect(await probe({ ...process.env, NODE_EXTRA_CA_CERTS: '' })).toMatch(/CERT|VERIFY/);
  });

  it('redirects with code and state, checks the PKCE verifier, and burns the code', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const redirectUri = 'http://localhost:40111/cb';
    const auth = new URL(fake.authUrl);
    auth.search = new URLSearchParams({
      client_id: clientId,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: MAIL_READ.join(' '),
      state: 'xyz',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    const res = await fetch(auth, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location') ?? '');
    expect(back.searchParams.get('state')).toBe('xyz');
    const code = back.searchParams.get('code') ?? '';
    const exchange = (v: string) =>
      fetch(fake.tokenUrl, {
        method: 'POST',
        body: new URLSearchParams({
          client_id: clientId,
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          code_verifier: v,
        }),
      });
    const bad = await exchange('x'.repeat(43));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error_codes: number[] }).error_codes).toEqual([501481]);
    const again = await exchange(verifier);
    expect(again.status).toBe(400); // the failed attempt burnt the code
    expect(((await again.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('rotates refresh tokens; the old one stays valid (lenient, as Microsoft documents)', async () => {
    const first = await signInToFake(fake, { clientId, scopes: MAIL_READ });
    // Entra lists the granted scopes but never offline_access, which only earns the refresh token.
    expect(first.scope.split(' ')).toEqual(['openid', 'User.Read', 'Mail.Read']);
    expect(first.refresh_token).toBeTruthy();
    const refresh = (rt: string) =>
      fetch(fake.tokenUrl, {
        method: 'POST',
        body: new URLSearchParams({ client_id: clientId, grant_type: 'refresh_token', refresh_token: rt }),
      });
    const r1 = (await (await refresh(first.refresh_token ?? '')).json()) as {
      refresh_token: string;
      access_token: string;
    };
    expect(r1.refresh_token).toBeTruthy();
    expect(r1.refresh_token).not.toBe(first.refresh_token);
    expect((await refresh(first.refresh_token ?? '')).status).toBe(200);
    expect(fake.stats.tokenGrants.refresh_token).toBeGreaterThanOrEqual(2);
  });

  it('strict rotation refuses a used refresh token; MFA and expiry give the AADSTS codes', async () => {
    const strict = await startFakeGraph({ email, clientId, rotation: 'strict' });
    try {
      const first = await signInToFake(strict, { clientId, scopes: MAIL_READ });
      const refresh = async (rt: string) => {
        const res = await fetch(strict.tokenUrl, {
          method: 'POST',
          body: new URLSearchParams({ client_id: clientId, grant_type: 'refresh_token', refresh_token: rt }),
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      const ok = await refresh(first.refresh_token ?? '');
      expect(ok.status).toBe(200);
      const reused = await refresh(first.refresh_token ?? '');
      expect(reused.body.error).toBe('invalid_grant');
      strict.requireMfa();
      const mfa = await refresh(String(ok.body.refresh_token));
      expect(mfa.body.error).toBe('interaction_required');
      expect(mfa.body.error_codes).toEqual([50076]);
      expect(String(mfa.body.error_description)).toMatch(/^AADSTS50076: /);
      strict.expireRefreshTokens();
      const expired = await refresh(String(ok.body.refresh_token));
      expect(expired.body.error).toBe('invalid_grant');
      expect(expired.body.error_codes).toEqual([700082]);
      strict.expireRefreshTokens(70008);
      expect((await refresh(String(ok.body.refresh_token))).body.error_codes).toEqual([70008]);
      strict.requireMfa(50079);
      const enrol = await refresh(String(ok.body.refresh_token));
      expect([enrol.body.error, enrol.body.error_codes]).toEqual(['interaction_required', [50079]]);
      strict.allowRefresh();
      expect((await refresh(String(ok.body.refresh_token))).status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it('gives no refresh token without offline_access', async () => {
    const t = await signInToFake(fake, { clientId, scopes: ['User.Read', 'Mail.Read'] });
    expect(t.refresh_token).toBeUndefined();
  });
});

describe('fake Graph: mail through the real Graph client', () => {
  let fake: FakeGraph;
  let client: Client;
  beforeAll(async () => {
    const messages = [
      ...Array.from({ length: 25 }, (_, i) => msg(i, 'inbox')),
      ...Array.from({ length: 7 }, (_, i) => msg(100 + i, 'sentitems')),
      ...Array.from({ length: 3 }, (_, i) => msg(200 + i, 'Projects')),
    ];
    fake = await startFakeGraph({
      email,
      clientId,
      proxyAddresses: [`SMTP:${email}`, 'smtp:ada.l@contoso.example'],
      folders: [{ displayName: 'Projects', parent: 'inbox' }],
      messages,
    });
    const t = await signInToFake(fake, { clientId, scopes: MAIL_READ });
    client = graphClient(fake, t.access_token);
  });
  afterAll(() => fake.close());

  it('serves /me and, on $select, proxyAddresses', async () => {
    const me = (await client.api('/me').get()) as { mail: string; userPrincipalName: string; id: string };
    expect(me.mail).toBe(email);
    expect(me.id).toBe(fake.userId);
    const proxies = (await client.api('/me').select('proxyAddresses').get()) as { proxyAddresses: string[] };
    expect(proxies.proxyAddresses).toEqual([`SMTP:${email}`, 'smtp:ada.l@contoso.example']);
  });

  it('lists folders with paging, hidden folders on request, well-known names and child folders', async () => {
    const page1 = (await client.api('/me/mailFolders').top(5).get()) as {
      value: { displayName: string }[];
      '@odata.nextLink'?: string;
    };
    expect(page1.value).toHaveLength(5);
    expect(page1['@odata.nextLink']).toBeTruthy();
    const page2 = (await client.api(page1['@odata.nextLink'] ?? '').get()) as {
      value: { displayName: string; isHidden: boolean }[];
    };
    const names = [...page1.value, ...page2.value].map((f) => f.displayName);
    expect(names).toContain('Sent Items');
    expect(names).not.toContain('Search Folders');
    const hidden = (await client
      .api('/me/mailFolders')
      .query({ includeHiddenFolders: 'true' })
      .top(50)
      .get()) as { value: { displayName: string }[] };
    expect(hidden.value.map((f) => f.displayName)).toContain('Search Folders');
    const inbox = (await client.api('/me/mailFolders/inbox').get()) as {
      id: string;
      totalItemCount: number;
      childFolderCount: number;
    };
    expect(inbox.id).toBe(fake.folderId('inbox'));
    expect(inbox.totalItemCount).toBe(25);
    const kids = (await client.api(`/me/mailFolders/${inbox.id}/childFolders`).get()) as {
      value: { displayName: string }[];
    };
    expect(kids.value.map((f) => f.displayName)).toEqual(['Projects']);
  });

  it('pages a delta round to a deltaLink, then returns only changes', async () => {
    const inboxId = fake.folderId('inbox');
    const select = 'id,internetMessageId,conversationId,from,toRecipients,receivedDateTime,parentFolderId';
    const seen = new Map<string, Record<string, unknown>>();
    let link: string | undefined = `/me/mailFolders/${inboxId}/messages/delta?$select=${select}`;
    let deltaLink: string | undefined;
    let pages = 0;
    while (link) {
      const res = await client
        .api(link)
        .header('Prefer', 'odata.maxpagesize=10')
        .responseType('raw' as never)
        .get();
      const raw = res as Response;
      expect(raw.headers.get('preference-applied')).toBe('odata.maxpagesize=10');
      const body = (await raw.json()) as {
        value: Record<string, unknown>[];
        '@odata.nextLink'?: string;
        '@odata.deltaLink'?: string;
      };
      pages += 1;
      for (const m of body.value) seen.set(String(m.id), m);
      link = body['@odata.nextLink'];
      deltaLink = body['@odata.deltaLink'];
    }
    expect(pages).toBe(3);
    expect(seen.size).toBe(25);
    const one = [...seen.values()][0] ?? {};
    expect(Object.keys(one).sort()).toEqual(['@odata.etag', '@odata.type', ...select.split(',')].sort());
    expect(one.body).toBeUndefined();

    const added = fake.addMessage(msg(300, 'inbox'));
    const victim = [...seen.keys()][3] ?? '';
    const victimIMID = fake.message(victim)?.internetMessageId;
    const movedId = fake.moveMessage(victim, 'archive');
    expect(movedId).not.toBe(victim);
    expect(fake.message(movedId)?.internetMessageId).toBe(victimIMID);

    const next = (await client.api(deltaLink ?? '').get()) as {
      value: Record<string, unknown>[];
      '@odata.deltaLink'?: string;
    };
    expect(next.value).toHaveLength(2);
    expect(next.value.find((m) => m.id === added)?.internetMessageId).toBe('<m300@fabrikam.example>');
    expect(next.value.find((m) => m.id === victim)?.['@removed']).toEqual({ reason: 'deleted' });
    expect(next['@odata.deltaLink']).toBeTruthy();

    const archive = (await client
      .api(`/me/mailFolders/archive/messages/delta`)
      .select('internetMessageId')
      .get()) as {
      value: { id: string; internetMessageId: string }[];
    };
    expect(archive.value).toEqual([expect.objectContaining({ id: movedId, internetMessageId: victimIMID })]);
    expect(fake.stats.pagesServed).toBeGreaterThanOrEqual(5);
  });

  it('reports updates and deletions, and filters a chain by changeType', async () => {
    const folder = fake.addFolder({ displayName: 'Scratch' });
    const a = fake.addMessage(msg(400, folder));
    const b = fake.addMessage(msg(401, folder));
    const first = (await client.api(`/me/mailFolders/${folder}/messages/delta`).select('isRead').get()) as {
      value: unknown[];
      '@odata.deltaLink': string;
    };
    const createdOnly = (await client
      .api(`/me/mailFolders/${folder}/messages/delta`)
      .query({ changeType: 'created' })
      .get()) as { '@odata.deltaLink': string };
    expect(first.value).toHaveLength(2);
    fake.updateMessage(a, { isRead: false });
    fake.deleteMessage(b);
    const c = fake.addMessage(msg(402, folder));
    const next = (await client.api(first['@odata.deltaLink']).get()) as { value: Record<string, unknown>[] };
    expect(next.value).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: a, isRead: false }),
        expect.objectContaining({ id: b, '@removed': { reason: 'deleted' } }),
        expect.objectContaining({ id: c }),
      ]),
    );
    expect(next.value).toHaveLength(3);
    const created = (await client.api(createdOnly['@odata.deltaLink']).get()) as { value: { id: string }[] };
    expect(created.value.map((m) => m.id)).toEqual([c]);
  });

  it('honours $filter=receivedDateTime ge and refuses other filters', async () => {
    const res = (await client
      .api('/me/mailFolders/sentitems/messages/delta')
      .filter('receivedDateTime ge 2025-01-05T07:00:00Z')
      .get()) as { value: unknown[] };
    expect(res.value).toHaveLength(4); // messages 103..106 are at or after hour 103 (Jan 5, 07:00)
    const newest = (await client
      .api('/me/mailFolders/sentitems/messages/delta')
      .orderby('receivedDateTime desc')
      .top(2)
      .select('internetMessageId')
      .get()) as { value: { internetMessageId: string }[]; '@odata.deltaLink'?: string };
    expect(newest.value.map((m) => m.internetMessageId)).toEqual([
      '<m106@contoso.example>',
      '<m105@contoso.example>',
    ]);
    expect(newest['@odata.deltaLink']).toBeTruthy();
    await expect(
      client.api('/me/mailFolders/sentitems/messages/delta').orderby('subject').get(),
    ).rejects.toMatchObject({ statusCode: 400 });
    await expect(
      client.api('/me/mailFolders/sentitems/messages/delta').filter("subject eq 'x'").get(),
    ).rejects.toMatchObject({
      statusCode: 400,
      code: 'ErrorInvalidUrlQueryFilter',
    });
  });

  it('answers 410 syncStateNotFound for old tokens after invalidateDelta, for that folder only', async () => {
    const first = (await client.api('/me/mailFolders/sentitems/messages/delta').get()) as {
      '@odata.deltaLink': string;
    };
    const other = (await client.api('/me/mailFolders/Projects/messages/delta').get()) as {
      '@odata.deltaLink': string;
    };
    fake.invalidateDelta('sentitems');
    const err = (await client
      .api(first['@odata.deltaLink'])
      .get()
      .catch((e: unknown) => e)) as GraphError;
    expect(err.statusCode).toBe(410);
    expect(err.code).toBe('SyncStateNotFound');
    expect(err.message).toMatch(/^The sync state generation is not found/);
    const ok = (await client.api(other['@odata.deltaLink']).get()) as { value: unknown[] };
    expect(ok.value).toEqual([]);
    const restarted = (await client.api('/me/mailFolders/sentitems/messages/delta').get()) as {
      value: unknown[];
    };
    expect(restarted.value).toHaveLength(7);
  });

  it('gets a message with body and uniqueBody, as text when preferred; headers absent on sent items', async () => {
    const received = fake.messages().find((m) => m.folderId === fake.folderId('inbox'));
    const sent = fake.messages().find((m) => m.folderId === fake.folderId('sentitems'));
    const full = (await client
      .api(`/me/messages/${received?.id}`)
      .select('body,uniqueBody,internetMessageHeaders,conversationId')
      .header('Prefer', 'outlook.body-content-type="text"')
      .get()) as {
      body: { contentType: string; content: string };
      uniqueBody: unknown;
      internetMessageHeaders: unknown[];
    };
    expect(full.body).toEqual({ contentType: 'text', content: received?.body });
    expect(full.uniqueBody).toBeTruthy();
    expect(full.internetMessageHeaders.length).toBeGreaterThan(0);
    const s = (await client
      .api(`/me/messages/${sent?.id}`)
      .select('internetMessageHeaders,body')
      .get()) as Record<string, unknown>;
    expect(s.internetMessageHeaders).toBeUndefined();
    expect((s.body as { contentType: string }).contentType).toBe('html');
  });

  it('finds a message by internetMessageId in the mailbox or one folder', async () => {
    const target = fake.messages().find((m) => m.folderId === fake.folderId('sentitems'));
    const literal = (target?.internetMessageId ?? '').replace(/'/g, "''");
    const hit = (await client
      .api('/me/messages')
      .filter(`internetMessageId eq '${literal}'`)
      .select('id,internetMessageId')
      .top(1)
      .get()) as { value: { id: string }[] };
    expect(hit.value.map((m) => m.id)).toEqual([target?.id]);
    const inInbox = (await client
      .api('/me/mailFolders/inbox/messages')
      .filter(`internetMessageId eq '${literal}'`)
      .select('id')
      .get()) as { value: unknown[] };
    expect(inInbox.value).toEqual([]);
    const paged = (await client.api('/me/mailFolders/inbox/messages').select('subject').top(20).get()) as {
      value: unknown[];
      '@odata.nextLink'?: string;
    };
    expect(paged.value).toHaveLength(20);
    expect(paged['@odata.nextLink']).toContain('$skip=20');
  });

  it('selects folder properties, also inside a $batch, with a 404 item for an unknown folder', async () => {
    const kids = (await client
      .api('/me/mailFolders')
      .select('id,childFolderCount,totalItemCount')
      .top(50)
      .get()) as { value: Record<string, unknown>[] };
    expect(Object.keys(kids.value[0] ?? {}).sort()).toEqual(['childFolderCount', 'id', 'totalItemCount']);
    const res = (await client.api('/$batch').post({
      requests: ['sentitems', 'junkemail', 'nosuchfolder'].map((name) => ({
        id: name,
        method: 'GET',
        url: `/me/mailFolders/${name}?$select=id`,
      })),
    })) as { responses: { id: string; status: number; body: { id?: string; error?: { code: string } } }[] };
    const byId = Object.fromEntries(res.responses.map((r) => [r.id, r]));
    expect(byId.sentitems?.body).toEqual({
      '@odata.context': expect.any(String),
      id: fake.folderId('sentitems'),
    });
    expect(byId.junkemail?.status).toBe(200);
    expect(byId.nosuchfolder?.status).toBe(404);
    expect(byId.nosuchfolder?.body.error?.code).toBe('ErrorItemNotFound');
  });

  it('runs a JSON $batch of up to 20 requests, each counted', async () => {
    const ids = fake
      .messages()
      .slice(0, 3)
      .map((m) => m.id);
    const before = fake.stats.byRoute['messages.get'] ?? 0;
    const res = (await client.api('/$batch').post({
      requests: ids.map((id, i) => ({
        id: String(i + 1),
        method: 'GET',
        url: `/me/messages/${id}?$select=subject`,
      })),
    })) as { responses: { id: string; status: number; body: { subject: string } }[] };
    expect(res.responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(fake.stats.byRoute['messages.get']).toBe(before + 3);
    const tooMany = Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: '/me' }));
    await expect(client.api('/$batch').post({ requests: tooMany })).rejects.toMatchObject({
      statusCode: 400,
    });
  });
});
