import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { shortScope } from './graph-auth.ts';
import { readBody, sendHtmlPage, sendIdentityError } from './respond.ts';
import type { TokenStore } from './token-store.ts';

export interface IdentityConfig {
  clientId: string;
  clientSecret?: string;
  redirectUris?: string[];
  grantScopes: 'all' | string[];
  accessTokenTtlSeconds: number;
  rotation: 'lenient' | 'strict';
}

export interface IdentityState {
  config: IdentityConfig;
  tokens: TokenStore;
  consent: 'approve' | 'deny';
  tokenGrants: { authorization_code: number; refresh_token: number };
}

/**
 * GET {tenant}/oauth2/v2.0/authorize. Problems Entra cannot safely redirect (unknown app, an
 * unregistered redirect URI) become an HTML page; the rest go back to redirect_uri, as the
 * simulated user signs in and answers the consent prompt.
 */
export function handleAuthorize(state: IdentityState, url: URL, res: ServerResponse) {
  const p = url.searchParams;
  if (p.get('client_id') !== state.config.clientId) {
    return sendHtmlPage(
      res,
      400,
      'AADSTS700016',
      `Application with identifier '${p.get('client_id') ?? ''}' was not found in the directory.`,
    );
  }
  const redirectUri = p.get('redirect_uri') ?? '';
  if (!isAllowedRedirect(redirectUri, state.config.redirectUris)) {
    return sendHtmlPage(
      res,
      400,
      'AADSTS50011',
      `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application.`,
    );
  }
  const target = new URL(redirectUri);
  const stateParam = p.get('state');
  const fail = (error: string, description: string) => {
    target.searchParams.set('error', error);
    target.searchParams.set('error_description', description);
    if (stateParam !== null) target.searchParams.set('state', stateParam);
    redirect(res, target);
  };
  if (p.get('response_type') !== 'code') {
    return fail('unsupported_response_type', 'AADSTS700054: response_type must be code for this flow.');
  }
  const scopes = (p.get('scope') ?? '').split(' ').filter(Boolean);
  if (scopes.length === 0) {
    return fail(
      'invalid_request',
      "AADSTS900144: The request body must contain the following parameter: 'scope'.",
    );
  }
  const challenge = p.get('code_challenge') ?? '';
  if (p.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
    return fail(
      'invalid_request',
      'AADSTS9002325: Proof Key for Code Exchange is required: code_challenge (43 base64url characters) with code_challenge_method=S256.',
    );
  }
  if (state.consent === 'deny') {
    target.searchParams.set('error_subcode', 'cancel');
    return fail('access_denied', 'AADSTS65004: User declined to consent to access the app.');
  }
  const grant = state.config.grantScopes;
  const allowed = grant === 'all' ? [] : grant.map(shortScope);
  const granted =
    grant === 'all' ? scopes : scopes.filter((s) => isAlwaysGranted(s) || allowed.includes(shortScope(s)));
  const code = state.tokens.issueCode({
    clientId: state.config.clientId,
    redirectUri,
    codeChallenge: challenge,
    scopes: granted,
  });
  target.searchParams.set('code', code);
  if (stateParam !== null) target.searchParams.set('state', stateParam);
  target.searchParams.set('session_state', randomUUID());
  redirect(res, target);
}

/** POST {tenant}/oauth2/v2.0/token: authorization_code (PKCE S256) and refresh_token (rotating). */
export async function handleToken(state: IdentityState, req: IncomingMessage, res: ServerResponse) {
  const params = new URLSearchParams(await readBody(req));
  const basic = parseBasicAuth(req.headers.authorization);
  const clientId = basic?.id ?? params.get('client_id') ?? '';
  const secret = basic?.secret ?? params.get('client_secret');
  const grantType = params.get('grant_type') ?? '';
  if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
    return sendIdentityError(
      res,
      400,
      'unsupported_grant_type',
      70003,
      `The app requested an unsupported grant type '${grantType}'.`,
    );
  }
  state.tokenGrants[grantType] += 1;
  if (clientId !== state.config.clientId) {
    return sendIdentityError(
      res,
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory.`,
    );
  }
  const expected = state.config.clientSecret;
  if (expected === undefined && secret) {
    return sendIdentityError(
      res,
      401,
      'invalid_client',
      700025,
      "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
    );
  }
  if (expected !== undefined && !secret) {
    return sendIdentityError(
      res,
      401,
      'invalid_client',
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  }
  if (expected !== undefined && secret !== expected) {
    return sendIdentityError(
      res,
      401,
      'invalid_client',
      7000215,
      'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
    );
  }
  if (grantType === 'refresh_token') return refreshGrant(state, params, clientId, res);

  const code = state.tokens.takeCode(params.get('code') ?? '');
  if (!code || code.clientId !== clientId) {
    return sendIdentityError(
      res,
      400,
      'invalid_grant',
      70008,
      'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
    );
  }
  if (params.get('redirect_uri') !== code.redirectUri) {
    return sendIdentityError(
      res,
      400,
      'invalid_grant',
      500117,
      'The reply uri specified in the request does not match the reply uri used in the authorization request.',
    );
  }
  const verifier = params.get('code_verifier') ?? '';
  if (!verifier) {
    return sendIdentityError(
      res,
      400,
      'invalid_request',
      5000,
      "The request body must contain the following parameter: 'code_verifier'.",
    );
  }
  if (createHash('sha256').update(verifier).digest('base64url') !== code.codeChallenge) {
    return sendIdentityError(
      res,
      400,
      'invalid_grant',
      501481,
      'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
    );
  }
  sendTokens(state, res, clientId, code.scopes);
}

function refreshGrant(state: IdentityState, params: URLSearchParams, clientId: string, res: ServerResponse) {
  const rt = params.get('refresh_token') ?? '';
  switch (state.tokens.block) {
    case 'revoked':
      return sendIdentityError(
        res,
        400,
        'invalid_grant',
        50173,
        'The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.',
      );
    case 'expired':
      if (state.tokens.blockCode === 70008) {
        return sendIdentityError(
          res,
          400,
          'invalid_grant',
          70008,
          'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
        );
      }
      return sendIdentityError(
        res,
        400,
        'invalid_grant',
        700082,
        'The refresh token has expired due to inactivity. The token was issued on 2025-01-01T00:00:00Z and was inactive for 90.00:00:00.',
      );
    case 'mfa':
      return sendIdentityError(
        res,
        400,
        'interaction_required',
        state.tokens.blockCode === 50079 ? 50079 : 50076,
        state.tokens.blockCode === 50079
          ? 'Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access this resource.'
          : "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '00000003-0000-0000-c000-000000000000'.",
        {
          suberror: 'basic_action',
          claims: '{"access_token":{"capolids":{"essential":true,"values":["fake"]}}}',
        },
      );
    case 'none':
      break;
  }
  const found = state.tokens.redeemRefresh(rt, clientId, state.config.rotation === 'strict');
  if (found === 'unknown' || found === 'wrong-client') {
    return sendIdentityError(
      res,
      400,
      'invalid_grant',
      9002313,
      'Invalid request. Request is malformed or invalid.',
    );
  }
  if (found === 'used') {
    return sendIdentityError(
      res,
      400,
      'invalid_grant',
      70000,
      'Provided grant is invalid or malformed: the refresh token was already redeemed (strict rotation in the fake).',
    );
  }
  const asked = (params.get('scope') ?? '').split(' ').filter(Boolean);
  const had = found.scopes.map(shortScope);
  const extra = asked.filter((s) => !isAlwaysGranted(s) && !had.includes(shortScope(s)));
  if (extra.length > 0) {
    return sendIdentityError(
      res,
      400,
      'invalid_grant',
      65001,
      `The user or administrator has not consented to use the application. Scopes not granted: ${extra.join(' ')}.`,
    );
  }
  sendTokens(state, res, clientId, found.scopes);
}

function sendTokens(state: IdentityState, res: ServerResponse, clientId: string, scopes: string[]) {
  const ttl = state.config.accessTokenTtlSeconds;
  const body: Record<string, unknown> = {
    token_type: 'Bearer',
    // offline_access only earns the refresh token; Entra never lists it in `scope`.
    scope: scopes.filter((s) => s.toLowerCase() !== 'offline_access').join(' '),
    expires_in: ttl,
    ext_expires_in: ttl,
    access_token: state.tokens.issueAccess(scopes, ttl),
  };
  // Only offline_access earns a refresh token; each refresh hands out a new one (rotation).
  if (scopes.some((s) => s.toLowerCase() === 'offline_access')) {
    body.refresh_token = state.tokens.issueRefresh(clientId, scopes);
  }
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store, no-cache',
    pragma: 'no-cache',
  });
  res.end(JSON.stringify(body));
}

/** OpenID Connect scopes are not part of the consent prompt; users cannot refuse them here. */
function isAlwaysGranted(scope: string): boolean {
  return ['openid', 'profile', 'email', 'offline_access'].includes(scope.toLowerCase());
}

/**
 * Mobile-and-desktop registrations accept http loopback redirects on any port (RFC 8252);
 * anything else must be registered exactly.
 */
function isAllowedRedirect(uri: string, registered: string[] | undefined): boolean {
  if (registered?.includes(uri)) return true;
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return false;
  }
  return u.protocol === 'http:' && !u.hash && ['127.0.0.1', '[::1]', 'localhost'].includes(u.hostname);
}

function redirect(res: ServerResponse, target: URL) {
  res.writeHead(302, { location: target.toString(), 'content-type': 'text/html; charset=utf-8' });
  res.end();
}

function parseBasicAuth(header: string | undefined): { id: string; secret: string } | undefined {
  const m = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  return { id: decodeURIComponent(decoded.slice(0, i)), secret: decodeURIComponent(decoded.slice(i + 1)) };
}
