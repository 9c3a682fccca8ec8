import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom } from '../gmail/mail-builder.ts';
import { handleBatch } from './batch.ts';
import { DeltaEngine } from './delta.ts';
import { faultPath, type InjectedFault, sendFault, takeFault } from './faults.ts';
import { checkBearer, WWW_AUTHENTICATE } from './graph-auth.ts';
import { type GraphCall, type GraphContext, handleRoute, matchRoute } from './graph-routes.ts';
import { handleAuthorize, handleToken, type IdentityState } from './identity-routes.ts';
import { MailStore, type StoredMessage } from './mail-store.ts';
import { httpReply, type Reply, readBody, sendGraphError, sendIdentityError } from './respond.ts';
import { OUTLOOK_LIMITS, Throttle, type ThrottleLimits } from './throttle.ts';
import { serverTlsOptions } from './tls.ts';
import { TokenStore } from './token-store.ts';
import type { FakeGraphFolderSpec, FakeGraphMessageSpec } from './types.ts';

export type { InjectedFault } from './faults.ts';
export type { FakeGraphFolderSpec, FakeGraphMessageSpec, Recipient } from './types.ts';

export interface FakeGraphOptions {
  email: string;
  displayName?: string;
  /** `SMTP:` marks the primary address, `smtp:` an alias; default the primary only */
  proxyAddresses?: string[];
  clientId: string;
  /** set: a confidential client that must send it; unset: a public client (PKCE only) */
  clientSecret?: string;
  /** default 'common' */
  tenant?: string;
  folders?: FakeGraphFolderSpec[];
  messages?: FakeGraphMessageSpec[];
  consent?: 'approve' | 'deny';
  grantScopes?: 'all' | string[];
  accessTokenTtlSeconds?: number;
  /** default 'lenient' (Microsoft: old refresh tokens are not revoked when a new one is issued) */
  rotation?: 'lenient' | 'strict';
  limits?: Partial<ThrottleLimits>;
  latency?: Latency;
  /** largest odata.maxpagesize honoured; default 1000 */
  maxPageSize?: number;
  redirectUris?: string[];
  port?: number;
}

export interface Latency {
  fixedMs: number;
  /** plus a uniform 0..jitterMs */
  jitterMs?: number;
  /** plus this per item in a collection answer (`value`), e.g. 1 ms per message of a delta page */
  perItemMs?: number;
  seed?: number;
}

export interface FakeGraphStats {
  /** HTTP requests received, identity included (a $batch envelope is one) */
  requests: number;
  /** Graph calls as Microsoft counts them: each HTTP Graph request, and each item of a $batch */
  graphCalls: number;
  /** Graph calls by route, batch items included; identity.* for the identity endpoints */
  byRoute: Record<string, number>;
  /** 429 answers (concurrency + rate) */
  throttled: number;
  throttledByKind: { concurrency: number; rate: number };
  /** delta pages served (200s) */
  pagesServed: number;
  deltaMessagesServed: number;
  batchRequests: number;
  tokenGrants: { authorization_code: number; refresh_token: number };
  /** the most Graph calls in flight at once (after admission) */
  maxConcurrent: number;
  /** calls held without an answer (an injected `hang` fault) */
  hung: number;
}

export interface FakeGraph {
  readonly url: string;
  readonly authorityUrl: string;
  readonly tenant: string;
  readonly authUrl: string;
  readonly tokenUrl: string;
  readonly graphUrl: string;
  readonly graphHost: string;
  /** the /me id */
  readonly userId: string;
  folderId(ref: string): string;
  addFolder(spec: FakeGraphFolderSpec): string;
  addMessage(spec: FakeGraphMessageSpec): string;
  updateMessage(id: string, patch: Partial<Omit<FakeGraphMessageSpec, 'folder' | 'id'>>): void;
  moveMessage(id: string, folderRef: string): string;
  deleteMessage(id: string): void;
  message(
    id: string,
  ): (FakeGraphMessageSpec & { id: string; folderId: string; conversationId: string }) | undefined;
  /** every message, in no particular order */
  messages(): (FakeGraphMessageSpec & { id: string; folderId: string; conversationId: string })[];
  invalidateDelta(folderRef: string): void;
  revokeRefreshTokens(): void;
  /** default 700082 ("expired due to inactivity"); 70008 is the older wording */
  expireRefreshTokens(code?: 70008 | 700082): void;
  /** default 50076 (MFA required); 50079 (MFA enrolment required) */
  requireMfa(code?: 50076 | 50079): void;
  /** undo revoke/expire/mfa for later grants */
  allowRefresh(): void;
  expireAccessTokens(): void;
  setConsent(c: 'approve' | 'deny'): void;
  injectFault(f: InjectedFault): void;
  setLatency(l: Latency | undefined): void;
  setLimits(l: Partial<ThrottleLimits>): void;
  readonly stats: FakeGraphStats;
  readonly lastAuthorizeRequest: URLSearchParams | null;
  close(): Promise<void>;
}

const PUBLIC_TENANTS = ['common', 'organizations', 'consumers'];

/**
 * Starts an HTTPS server speaking the Microsoft identity platform v2.0 endpoints and the Graph
 * v1.0 mail routes touchbase uses, so the real @microsoft/microsoft-graph-client talks to it.
 */
export async function startFakeGraph(opts: FakeGraphOptions): Promise<FakeGraph> {
  const tenant = opts.tenant ?? 'common';
  const userId = uuidFrom(`user:${opts.email}`);
  const store = new MailStore(opts.email, opts.folders ?? [], opts.messages ?? []);
  const tokens = new TokenStore();
  const stats: FakeGraphStats = {
    requests: 0,
    graphCalls: 0,
    byRoute: {},
    throttled: 0,
    throttledByKind: { concurrency: 0, rate: 0 },
    pagesServed: 0,
    deltaMessagesServed: 0,
    batchRequests: 0,
    tokenGrants: { authorization_code: 0, refresh_token: 0 },
    maxConcurrent: 0,
    hung: 0,
  };
  const identity: IdentityState = {
    config: {
      clientId: opts.clientId,
      clientSecret: opts.clientSecret,
      redirectUris: opts.redirectUris,
      grantScopes: opts.grantScopes ?? 'all',
      accessTokenTtlSeconds: opts.accessTokenTtlSeconds ?? 3599,
      rotation: opts.rotation ?? 'lenient',
    },
    tokens,
    consent: opts.consent ?? 'approve',
    tokenGrants: stats.tokenGrants,
  };
  const ctx: GraphContext = {
    store,
    delta: new DeltaEngine(store),
    user: {
      id: userId,
      email: opts.email,
      displayName: opts.displayName ?? displayNameOf(opts.email),
      proxyAddresses: opts.proxyAddresses ?? [`SMTP:${opts.email}`],
    },
    maxPageSize: opts.maxPageSize ?? 1000,
    stats,
  };
  const throttle = new Throttle({ ...OUTLOOK_LIMITS, ...opts.limits });
  const faults: (InjectedFault & { times: number })[] = [];
  let latency = opts.latency;
  let rand = seededRandom(latency?.seed ?? 1);
  let lastAuthorizeRequest: URLSearchParams | null = null;

  const count = (route: string) => {
    stats.byRoute[route] = (stats.byRoute[route] ?? 0) + 1;
  };

  /** One Graph call: fault, bearer, throttle, latency, then the route. */
  const runCall = async (call: GraphCall, reply: Reply): Promise<void> => {
    const arrived = performance.now();
    const matched = matchRoute(call.method, call.path, ctx.user);
    stats.graphCalls += 1;
    count('route' in matched ? matched.route.name : 'unknown');
    const fault = takeFault(faults, faultPath(call.path, call.query));
    if (fault?.hang) {
      // Held for good (a batch item holds its whole batch): the client's timeout ends it.
      stats.hung += 1;
      return new Promise<void>(() => {});
    }
    if (fault) return sendFault(reply, fault);
    const auth = checkBearer(tokens, call.headers.authorization);
    if (!auth.ok) {
      return sendGraphError(reply, 401, 'InvalidAuthenticationToken', auth.message, {
        'WWW-Authenticate': WWW_AUTHENTICATE,
      });
    }
    if ('userError' in matched) {
      return sendGraphError(
        reply,
        404,
        'ErrorInvalidUser',
        `The requested user '${matched.userError}' is invalid.`,
      );
    }
    const admission = throttle.admit(Date.now());
    if (!admission.ok) {
      stats.throttled += 1;
      stats.throttledByKind[admission.kind] += 1;
      const what = admission.kind === 'concurrency' ? 'MailboxConcurrency' : 'RequestRate';
      return sendGraphError(reply, 429, 'ApplicationThrottled', `Application is over its ${what} limit.`, {
        'Retry-After': String(admission.retryAfterSeconds),
      });
    }
    stats.maxConcurrent = Math.max(stats.maxConcurrent, throttle.inFlight);
    try {
      // The answer is computed (and serialized) first so the delay can grow with its size, then
      // held back while the call keeps its concurrency slot, as a slow backend would. The delay
      // counts from the request's arrival: the fake's own work is part of its latency.
      let answer: Parameters<Reply['send']> | undefined;
      handleRoute(ctx, matched.route, matched.userSeg, call, auth.token, {
        send: (...args) => {
          answer = args;
        },
      });
      const delay = latencyFor(latency, rand, answer?.[1]);
      if (answer && reply.prepare) answer[1] = reply.prepare(answer[1]);
      const wait = delay - (performance.now() - arrived);
      if (wait > 0) await sleep(wait);
      if (answer) reply.send(...answer);
    } finally {
      admission.release();
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const origin = `https://${req.headers.host ?? '127.0.0.1'}`;
    const url = new URL(req.url ?? '/', origin);
    const method = req.method ?? 'GET';
    stats.requests += 1;
    const idm = /^\/([^/]+)\/oauth2\/v2\.0\/(authorize|token)$/.exec(url.pathname);
    if (idm?.[1] && idm[2]) {
      count(`identity.${idm[2]}`);
      const fault = takeFault(faults, faultPath(url.pathname, url.searchParams));
      if (fault) {
        return sendIdentityError(
          res,
          fault.status,
          fault.code ?? 'temporarily_unavailable',
          90033,
          fault.message ?? 'A transient error has occurred. Please try again.',
        );
      }
      if (idm[1] !== tenant && !PUBLIC_TENANTS.includes(idm[1])) {
        return sendIdentityError(
          res,
          400,
          'invalid_request',
          90002,
          `Tenant '${idm[1]}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
        );
      }
      if (idm[2] === 'authorize' && method === 'GET') {
        lastAuthorizeRequest = new URLSearchParams(url.searchParams);
        return handleAuthorize(identity, url, res);
      }
      if (idm[2] === 'token' && method === 'POST') return handleToken(identity, req, res);
      return sendIdentityError(
        res,
        405,
        'invalid_request',
        900561,
        'The endpoint only accepts POST requests.',
      );
    }
    const reply = httpReply(res);
    if (!url.pathname.startsWith('/v1.0/')) {
      return sendGraphError(reply, 400, 'BadRequest', `Invalid version: ${url.pathname.split('/')[1] ?? ''}`);
    }
    const headers = flatHeaders(req);
    if (url.pathname === '/v1.0/$batch') {
      count('batch');
      if (method !== 'POST')
        return sendGraphError(reply, 405, 'BadRequest', 'The $batch endpoint accepts only POST.');
      const auth = checkBearer(tokens, headers.authorization);
      if (!auth.ok) {
        return sendGraphError(reply, 401, 'InvalidAuthenticationToken', auth.message, {
          'WWW-Authenticate': WWW_AUTHENTICATE,
        });
      }
      stats.batchRequests += await handleBatch(await readBody(req), { headers, origin }, runCall, reply);
      return;
    }
    await runCall(
      { method, path: url.pathname.slice('/v1.0'.length), query: url.searchParams, headers, origin },
      reply,
    );
  };

  const server = createServer(serverTlsOptions(), (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return res.destroy();
      sendGraphError(httpReply(res), 500, 'InternalServerError', `The fake failed: ${String(err)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `https://127.0.0.1:${port}`;
  const view = (m: StoredMessage) => ({
    ...m.spec,
    id: m.id,
    folderId: m.folderId,
    conversationId: m.conversationId,
  });

  return {
    url,
    authorityUrl: url,
    tenant,
    authUrl: `${url}/${tenant}/oauth2/v2.0/authorize`,
    tokenUrl: `${url}/${tenant}/oauth2/v2.0/token`,
    graphUrl: `${url}/`,
    graphHost: '127.0.0.1',
    userId,
    folderId: (ref) => store.requireFolder(ref).id,
    addFolder: (spec) => store.addFolder(spec),
    addMessage: (spec) => store.addMessage(spec),
    updateMessage: (id, patch) => store.update(id, patch),
    moveMessage: (id, ref) => store.move(id, ref),
    deleteMessage: (id) => store.delete(id),
    message: (id) => {
      const m = store.message(id);
      return m ? view(m) : undefined;
    },
    messages: () => [...store.folders.values()].flatMap((f) => [...f.messages.values()].map(view)),
    invalidateDelta: (ref) => store.invalidate(ref),
    revokeRefreshTokens: () => {
      tokens.block = 'revoked';
      tokens.revokeAll();
    },
    expireRefreshTokens: (code = 700082) => {
      tokens.block = 'expired';
      tokens.blockCode = code;
    },
    requireMfa: (code = 50076) => {
      tokens.block = 'mfa';
      tokens.blockCode = code;
    },
    allowRefresh: () => {
      tokens.block = 'none';
    },
    expireAccessTokens: () => tokens.expireAccessTokens(),
    setConsent: (c) => {
      identity.consent = c;
    },
    injectFault: (f) => void faults.push({ ...f, times: f.times ?? 1 }),
    setLatency: (l) => {
      latency = l;
      rand = seededRandom(l?.seed ?? 1);
    },
    setLimits: (l) => {
      throttle.limits = { ...throttle.limits, ...l };
    },
    stats,
    get lastAuthorizeRequest() {
      return lastAuthorizeRequest;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function latencyFor(l: Latency | undefined, rand: () => number, body: unknown): number {
  if (!l) return 0;
  const value = (body as { value?: unknown } | undefined)?.value;
  const items = Array.isArray(value) ? value.length : 0;
  return l.fixedMs + Math.round(rand() * (l.jitterMs ?? 0)) + (l.perItemMs ?? 0) * items;
}

function flatHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers))
    out[k] = Array.isArray(v) ? v.join(', ') : (v as string | undefined);
  return out;
}

function uuidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function displayNameOf(email: string): string {
  const local = email.split('@')[0] ?? email;
  return local
    .split(/[._-]/)
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() + w.slice(1))
    .join(' ');
}
