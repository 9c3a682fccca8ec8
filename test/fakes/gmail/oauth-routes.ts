import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeGmailOptions } from './fake-gmail.ts';
import { readBody, sendHtmlError, sendJson, sendOAuthError } from './respond.ts';
import type { TokenStore } from './token-store.ts';

export interface OAuthState {
  opts: FakeGmailOptions;
  tokens: TokenStore;
  consent: 'approve' | 'deny';
  tokenGrants: { authorization_code: number; refresh_token: number };
  /** Grants answered with `refresh_token: ""` (FakeGmailOptions.emptyRefreshToken). */
  emptyRefreshToken: readonly ('authorization_code' | 'refresh_token')[];
}

/**
 * GET /o/oauth2/v2/auth. Errors Google cannot safely redirect (unknown client, bad redirect URI)
 * become an HTML page; everything after that goes back to the client as a 302, as the simulated
 * user approves or denies the consent screen.
 */
export function handleAuthorize(state: OAuthState, url: URL, res: ServerResponse): void {
  const p = url.searchParams;
  const problem = authorizeProblem(p, state.opts);
  if (problem) {
    sendHtmlError(res, 400, problem[0], problem[1]);
    return;
  }
  const clientId = p.get('client_id') ?? '';
  const redirectUri = p.get('redirect_uri') ?? '';
  const scope = (p.get('scope') ?? '').split(' ').filter(Boolean);
  const challenge = p.get('code_challenge') ?? '';

  const target = new URL(redirectUri);
  const stateParam = p.get('state');
  if (state.consent === 'deny') {
    target.searchParams.set('error', 'access_denied');
    if (stateParam !== null) target.searchParams.set('state', stateParam);
    redirect(res, target);
    return;
  }
  const grant = state.opts.grantScopes ?? 'all';
  const granted = grant === 'all' ? scope : scope.filter((s) => grant.includes(s));
  const code = state.tokens.issueCode({
    clientId,
    redirectUri,
    codeChallenge: challenge,
    scopes: granted,
    offline: p.get('access_type') === 'offline',
  });
  if (stateParam !== null) target.searchParams.set('state', stateParam);
  target.searchParams.set('code', code);
  target.searchParams.set('scope', granted.join(' '));
  target.searchParams.set('authuser', '0');
  target.searchParams.set('prompt', 'consent');
  redirect(res, target);
}

/** POST /token: authorization_code (with PKCE) and refresh_token grants. */
export async function handleToken(
  state: OAuthState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const params = await readParams(req);
  const basic = parseBasicAuth(req.headers.authorization);
  const clientId = basic?.id ?? params.get('client_id');
  const clientSecret = basic?.secret ?? params.get('client_secret');
  const grantType = params.get('grant_type') ?? '';
  if (grantType === 'authorization_code' || grantType === 'refresh_token') state.tokenGrants[grantType] += 1;
  else return sendOAuthError(res, 400, 'unsupported_grant_type', `Invalid grant_type: ${grantType}`);
  if (state.opts.tokenDelayMs) await new Promise((resolve) => setTimeout(resolve, state.opts.tokenDelayMs));
  const empty = state.emptyRefreshToken.includes(grantType);

  if (!clientId || clientId !== state.opts.clientId) {
    return sendOAuthError(res, 401, 'invalid_client', 'The OAuth client was not found.');
  }
  if (!clientSecret) return sendOAuthError(res, 400, 'invalid_request', 'client_secret is missing.');
  if (clientSecret !== state.opts.clientSecret)
    return sendOAuthError(res, 401, 'invalid_client', 'Unauthorized');

  const ttl = state.opts.accessTokenTtlSeconds ?? 3599;
  if (grantType === 'refresh_token') {
    const rt = params.get('refresh_token');
    if (!rt) return sendOAuthError(res, 400, 'invalid_request', 'Missing required parameter: refresh_token');
    const found = state.tokens.checkRefresh(rt, clientId);
    if (!found) return sendOAuthError(res, 400, 'invalid_grant', 'Token has been expired or revoked.');
    return sendTokens(res, {
      access_token: state.tokens.issueAccess(found.scopes, ttl),
      expires_in: ttl,
      scope: found.scopes.join(' '),
      token_type: 'Bearer',
      ...(empty ? { refresh_token: '' } : {}),
    });
  }

  const codeParam = params.get('code');
  if (!codeParam) return sendOAuthError(res, 400, 'invalid_request', 'Missing required parameter: code');
  const code = state.tokens.takeCode(codeParam);
  if (!code || code.clientId !== clientId) return sendOAuthError(res, 400, 'invalid_grant', 'Bad Request');
  if (params.get('redirect_uri') !== code.redirectUri) {
    return sendOAuthError(res, 400, 'redirect_uri_mismatch', 'Bad Request');
  }
  const verifier = params.get('code_verifier');
  if (!verifier) return sendOAuthError(res, 400, 'invalid_grant', 'Missing code verifier.');
  if (createHash('sha256').update(verifier).digest('base64url') !== code.codeChallenge) {
    return sendOAuthError(res, 400, 'invalid_grant', 'Invalid code verifier.');
  }
  const body: Record<string, unknown> = {
    access_token: state.tokens.issueAccess(code.scopes, ttl),
    expires_in: ttl,
    scope: code.scopes.join(' '),
    token_type: 'Bearer',
  };
  if (empty) body.refresh_token = '';
  else if (code.offline) body.refresh_token = state.tokens.issueRefresh(clientId, code.scopes);
  sendTokens(res, body);
}

/** POST /revoke?token=... (Google's revocation endpoint; the token may also be in the form body). */
export async function handleRevoke(state: OAuthState, req: IncomingMessage, url: URL, res: ServerResponse) {
  const params = await readParams(req);
  const t = url.searchParams.get('token') ?? params.get('token');
  if (!t || !state.tokens.revokeOne(t)) {
    return sendOAuthError(res, 400, 'invalid_token', 'Token expired or revoked');
  }
  sendJson(res, 200, {});
}

/** [error, detail] for a request Google would refuse with an error page, else undefined. */
function authorizeProblem(p: URLSearchParams, opts: FakeGmailOptions): [string, string] | undefined {
  if (p.get('client_id') !== opts.clientId) return ['invalid_client', 'The OAuth client was not found.'];
  const redirectUri = p.get('redirect_uri');
  if (!redirectUri || !isAllowedRedirect(redirectUri, opts)) {
    return [
      'redirect_uri_mismatch',
      `You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy. redirect_uri=${redirectUri ?? ''}`,
    ];
  }
  if (p.get('response_type') !== 'code') {
    return ['unsupported_response_type', `Invalid response_type: ${p.get('response_type') ?? ''}`];
  }
  if (!(p.get('scope') ?? '').trim()) return ['invalid_request', 'Missing required parameter: scope'];
  const challenge = p.get('code_challenge');
  if (!challenge || p.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
    return [
      'invalid_request',
      'This app requires PKCE: code_challenge (43 base64url characters) with code_challenge_method=S256.',
    ];
  }
  return undefined;
}

/**
 * A Desktop-app client accepts any loopback redirect on any port (RFC 8252 section 7.3); a web
 * client registers exact URIs, which `redirectUris` lists.
 */
function isAllowedRedirect(uri: string, opts: FakeGmailOptions): boolean {
  if (opts.redirectUris?.includes(uri)) return true;
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return false;
  }
  if (u.hash) return false;
  return u.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(u.hostname);
}

function redirect(res: ServerResponse, target: URL): void {
  res.writeHead(302, { location: target.toString(), 'content-type': 'text/html; charset=UTF-8' });
  res.end();
}

function sendTokens(res: ServerResponse, body: Record<string, unknown>): void {
  sendJson(res, 200, body, {
    'cache-control': 'no-cache, no-store, max-age=0, must-revalidate',
    pragma: 'no-cache',
  });
}

async function readParams(req: IncomingMessage): Promise<URLSearchParams> {
  const text = await readBody(req);
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/json') && text.trim()) {
    try {
      const json = JSON.parse(text) as Record<string, unknown>;
      return new URLSearchParams(Object.entries(json).map(([k, v]): [string, string] => [k, String(v)]));
    } catch {
      return new URLSearchParams();
    }
  }
  return new URLSearchParams(text);
}

function parseBasicAuth(header: string | undefined): { id: string; secret: string } | undefined {
  const m = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  // RFC 6749 section 2.3.1: both halves are form-urlencoded before being joined.
  return { id: decodeURIComponent(decoded.slice(0, i)), secret: decodeURIComponent(decoded.slice(i + 1)) };
}
