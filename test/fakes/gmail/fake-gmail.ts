import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authorize } from './gmail-auth.ts';
import { type GmailContext, handleGmailRoute, matchGmailRoute } from './gmail-routes.ts';
import { seededRandom } from './mail-builder.ts';
import { handleAuthorize, handleRevoke, handleToken, type OAuthState } from './oauth-routes.ts';
import { PageTokens } from './page-token.ts';
import { type FakeQuotaOptions, QuotaLedger, type QuotaStats } from './quota.ts';
import { type LoggedRequest, logRequest } from './request-log.ts';
import { sendGoogleError, sendNotFoundPage, sendOAuthError } from './respond.ts';
import { MailboxStore } from './store.ts';
import { TokenStore } from './token-store.ts';

export interface FakeGmailMessage {
  id: string;
  threadId: string;
  labelIds: string[];
  /** epoch ms */
  internalDate: number;
  headers: { name: string; value: string }[];
  snippet?: string;
  /** text/plain body, returned only for format=full (and inside raw) */
  body?: string;
}

export interface FakeGmailOptions {
  /** the mailbox owner */
  email: string;
  clientId: string;
  clientSecret: string;
  messages?: FakeGmailMessage[];
  /** default: the owner only */
  sendAs?: { sendAsEmail: string; displayName?: string; isPrimary?: boolean }[];
  /** what the simulated user clicks on the consent screen; default approve */
  consent?: 'approve' | 'deny';
  /** which of the requested scopes are granted; default all */
  grantScopes?: 'all' | string[];
  /** default 3599 */
  accessTokenTtlSeconds?: number;
  /**
   * Grants answered with `refresh_token: ""` (present but empty) instead of Google's usual answer:
   * on a refresh grant Google omits the field; on a code exchange it issues one (with
   * access_type=offline). Default none; `setEmptyRefreshToken` changes it later.
   */
  emptyRefreshToken?: readonly ('authorization_code' | 'refresh_token')[];
  /** Delay before each token endpoint answer (ms), so concurrent grants overlap. Default 0. */
  tokenDelayMs?: number;
  /** default 0 (random); the host is always 127.0.0.1 */
  port?: number;
  /**
   * Exact redirect URIs registered for a web client. Loopback http URIs (127.0.0.1, [::1],
   * localhost; any port) are always accepted, as for Google's Desktop-app clients.
   */
  redirectUris?: string[];
  /**
   * Enforce Google's per-user quota: each Gmail call is charged its method's units in a sliding
   * 60-second window, and a call that would pass the budget gets 403 userRateLimitExceeded.
   * Off by default.
   */
  quota?: FakeQuotaOptions;
  /** Gmail calls in flight per user beyond this get 429 "Too many concurrent requests for user". */
  maxConcurrentRequests?: number;
  /** Delay before each Gmail API answer: `fixedMs` plus up to `jitterMs`, uniformly drawn. */
  latency?: { fixedMs: number; jitterMs?: number };
  /** Share (0..1) of Gmail API calls answered with a 5xx backendError, drawn from a seeded PRNG. */
  serverErrorRate?: number;
  /**
   * Compresses time for benchmarks: the quota budget is multiplied and the latency divided by
   * this one factor (the window stays a minute), so a sync runs `timeScale` times faster with
   * the same shape. Default 1.
   */
  timeScale?: number;
  /** Seed of the latency jitter and random 5xx; default 1. */
  seed?: number;
  /** The quota window's clock (epoch ms); tests pass one to slide the window without waiting. */
  now?: () => number;
  /** Keep `requestLog` (off by default: a benchmark's mailbox would fill it). */
  logRequests?: boolean;
  /**
   * Most entries one messages.list or history.list page holds, below Google's own cap of 500: a
   * few dozen messages then span as many pages as a large mailbox does. Default 500.
   */
  maxPageSize?: number;
}

export interface InjectedFault {
  path: RegExp;
  status: number;
  reason?: string;
  message?: string;
  retryAfterSeconds?: number;
  /** default 1 */
  times?: number;
  /** Awaited before the fault is answered, at each match: a test acts while the request is in flight. */
  before?: () => unknown;
}

export interface FakeGmail {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** `${url}/o/oauth2/v2/auth` */
  readonly authUrl: string;
  /** `${url}/token` */
  readonly tokenUrl: string;
  /** `${url}/revoke` (Google's token revocation endpoint) */
  readonly revokeUrl: string;
  /** googleapis rootUrl: `${url}/`; requests arrive at `${apiUrl}gmail/v1/users/me/...` */
  readonly apiUrl: string;
  /** Records a messagesAdded history record with a new historyId. */
  addMessage(m: FakeGmailMessage): void;
  /** Records a messagesDeleted history record. */
  deleteMessage(id: string): void;
  setConsent(c: 'approve' | 'deny'): void;
  /** What settings.sendAs.list answers from now on (as when the user adds a send-as address). */
  setSendAs(entries: NonNullable<FakeGmailOptions['sendAs']>): void;
  /** Later refresh grants get invalid_grant; existing access tokens stop working (401). */
  revokeRefreshTokens(): void;
  /** Every access token issued so far expires now (401); refresh tokens keep working. */
  expireAccessTokens(): void;
  /** See `FakeGmailOptions.emptyRefreshToken`. */
  setEmptyRefreshToken(grants: readonly ('authorization_code' | 'refresh_token')[]): void;
  /** Every historyId issued so far becomes too old (history.list answers 404). */
  expireHistory(): void;
  /** The next `times` requests whose path (with query string) matches get this error. */
  injectFault(f: InjectedFault): void;
  /**
   * requests counts every request; byEndpoint is keyed by Google method names
   * (users.messages.list, oauth.token, ...); tokenGrants counts token requests per grant type,
   * successful or not.
   */
  readonly stats: {
    requests: number;
    byEndpoint: Record<string, number>;
    tokenGrants: { authorization_code: number; refresh_token: number };
    /** Quota accounting of admitted Gmail calls, and what was refused (see QuotaStats). */
    quota: QuotaStats;
    /** 5xx answers drawn by serverErrorRate. */
    serverErrors: number;
  };
  readonly lastAuthorizeRequest: URLSearchParams | null;
  /** Every request in arrival order, with its answer, when started with `logRequests`. */
  readonly requestLog: readonly LoggedRequest[];
  close(): Promise<void>;
}

/**
 * Starts an in-process HTTP server that speaks Google's OAuth 2.0 endpoints and the subset of the
 * Gmail v1 REST API touchbase uses, so the real googleapis client can be pointed at it.
 */
export async function startFakeGmail(opts: FakeGmailOptions): Promise<FakeGmail> {
  const store = new MailboxStore(opts.messages ?? []);
  const tokens = new TokenStore();
  const timeScale = opts.timeScale ?? 1;
  if (!(timeScale > 0)) throw new Error('fake gmail: timeScale must be a positive number');
  const ledger = new QuotaLedger(opts.quota, timeScale);
  const rand = seededRandom(opts.seed ?? 1);
  const stats: FakeGmail['stats'] = {
    requests: 0,
    byEndpoint: {},
    tokenGrants: { authorization_code: 0, refresh_token: 0 },
    quota: ledger.stats,
    serverErrors: 0,
  };
  let inFlight = 0;
  const oauth: OAuthState = {
    opts,
    tokens,
    consent: opts.consent ?? 'approve',
    tokenGrants: stats.tokenGrants,
    emptyRefreshToken: opts.emptyRefreshToken ?? [],
  };
  const gmail: GmailContext = { opts, store, pageTokens: new PageTokens() };
  const faults: (InjectedFault & { times: number })[] = [];
  let lastAuthorizeRequest: URLSearchParams | null = null;
  const requestLog: LoggedRequest[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const route = matchGmailRoute(method, url.pathname);
    const endpoint = route?.endpoint ?? oauthEndpoint(method, url.pathname) ?? 'unknown';
    stats.requests += 1;
    stats.byEndpoint[endpoint] = (stats.byEndpoint[endpoint] ?? 0) + 1;
    if (endpoint === 'oauth.authorize') lastAuthorizeRequest = new URLSearchParams(url.searchParams);
    if (opts.logRequests) logRequest(requestLog, endpoint, url.pathname + url.search, res);

    const fault = takeFault(faults, url.pathname + url.search);
    if (fault) {
      await fault.before?.();
      return sendFault(res, fault, endpoint);
    }

    switch (endpoint) {
      case 'oauth.authorize':
        return handleAuthorize(oauth, url, res);
      case 'oauth.token':
        return handleToken(oauth, req, res);
      case 'oauth.revoke':
        return handleRevoke(oauth, req, url, res);
      case 'unknown':
        return sendNotFoundPage(res, url.pathname);
    }
    if (!route) return sendNotFoundPage(res, url.pathname);
    if (opts.maxConcurrentRequests !== undefined && inFlight >= opts.maxConcurrentRequests) {
      ledger.stats.rejected.concurrency += 1;
      return sendGoogleError(res, {
        code: 429,
        message: 'Too many concurrent requests for user',
        reason: 'rateLimitExceeded',
        domain: 'usageLimits',
      });
    }
    inFlight += 1;
    try {
      await serveGmail(route, endpoint, req, url, res);
    } finally {
      inFlight -= 1;
    }
  };

  const serveGmail = async (
    route: NonNullable<ReturnType<typeof matchGmailRoute>>,
    endpoint: string,
    req: IncomingMessage,
    url: URL,
    res: ServerResponse,
  ): Promise<void> => {
    const token = authorize(tokens, endpoint, req, url, res);
    if (!token) return;
    // Charged on arrival, as Google's per-user rate limiter sees the request.
    if (!ledger.admit(endpoint, (opts.now ?? Date.now)())) {
      // The "Resolve errors" guide's 403 userRateLimitExceeded; Google sends no Retry-After with it.
      return sendGoogleError(res, {
        code: 403,
        message: 'User Rate Limit Exceeded',
        reason: 'userRateLimitExceeded',
        domain: 'usageLimits',
      });
    }
    if (opts.latency) {
      const ms = (opts.latency.fixedMs + rand() * (opts.latency.jitterMs ?? 0)) / timeScale;
      if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
    }
    if (opts.serverErrorRate && rand() < opts.serverErrorRate) {
      stats.serverErrors += 1;
      return sendGoogleError(res, { code: 503, message: 'Backend Error', reason: 'backendError' });
    }
    handleGmailRoute(gmail, route, token, url, res);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return res.destroy();
      sendGoogleError(res, { code: 500, message: `Backend Error (${String(err)})`, reason: 'backendError' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    authUrl: `${url}/o/oauth2/v2/auth`,
    tokenUrl: `${url}/token`,
    revokeUrl: `${url}/revoke`,
    apiUrl: `${url}/`,
    addMessage: (m) => void store.add(m),
    deleteMessage: (id) => store.delete(id),
    setConsent: (c) => {
      oauth.consent = c;
    },
    setSendAs: (entries) => {
      opts.sendAs = entries;
    },
    revokeRefreshTokens: () => tokens.revokeAll(),
    expireAccessTokens: () => tokens.expireAccess(),
    setEmptyRefreshToken: (grants) => {
      oauth.emptyRefreshToken = grants;
    },
    expireHistory: () => store.expire(),
    injectFault: (f) => void faults.push({ ...f, times: f.times ?? 1 }),
    stats,
    get lastAuthorizeRequest() {
      return lastAuthorizeRequest;
    },
    requestLog,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function oauthEndpoint(method: string, pathname: string): string | undefined {
  if (method === 'GET' && (pathname === '/o/oauth2/v2/auth' || pathname === '/o/oauth2/auth')) {
    return 'oauth.authorize';
  }
  if (method === 'POST' && pathname === '/token') return 'oauth.token';
  if (method === 'POST' && pathname === '/revoke') return 'oauth.revoke';
  return undefined;
}

function takeFault(faults: (InjectedFault & { times: number })[], path: string): InjectedFault | undefined {
  const i = faults.findIndex((f) => f.times > 0 && f.path.test(path));
  const f = faults[i];
  if (!f) return undefined;
  f.times -= 1;
  if (f.times <= 0) faults.splice(i, 1);
  return f;
}

/** Default wording and reasons follow the Gmail "Resolve errors" guide. */
function sendFault(res: ServerResponse, f: InjectedFault, endpoint: string): void {
  const headers: Record<string, string> = {};
  if (f.retryAfterSeconds !== undefined) headers['retry-after'] = String(f.retryAfterSeconds);
  if (endpoint.startsWith('oauth.')) {
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    sendOAuthError(res, f.status, f.reason ?? 'internal_failure', f.message ?? 'Backend Error');
    return;
  }
  const defaults: Record<number, [string, string]> = {
    400: ['badRequest', 'Bad Request'],
    401: ['authError', 'Invalid Credentials'],
    403: ['userRateLimitExceeded', 'User Rate Limit Exceeded'],
    404: ['notFound', 'Requested entity was not found.'],
    429: ['rateLimitExceeded', 'Too many concurrent requests for user.'],
    500: ['backendError', 'Backend Error'],
    502: ['backendError', 'Bad Gateway'],
    503: ['backendError', 'The service is currently unavailable.'],
  };
  const [reason, message] = defaults[f.status] ?? ['backendError', 'Backend Error'];
  const finalReason = f.reason ?? reason;
  const rateLimited = /RateLimitExceeded$|rateLimitExceeded|dailyLimitExceeded/.test(finalReason);
  sendGoogleError(res, {
    code: f.status,
    message: f.message ?? message,
    reason: finalReason,
    domain: rateLimited ? 'usageLimits' : 'global',
    headers,
  });
}
