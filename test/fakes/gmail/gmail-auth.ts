import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendGoogleError } from './respond.ts';
import type { AccessToken, TokenStore } from './token-store.ts';

const G = 'https://www.googleapis.com/auth/';
export const SCOPES = {
  full: 'https://mail.google.com/',
  modify: `${G}gmail.modify`,
  readonly: `${G}gmail.readonly`,
  metadata: `${G}gmail.metadata`,
  compose: `${G}gmail.compose`,
  settingsBasic: `${G}gmail.settings.basic`,
} as const;

/** The "Authorization scopes" lists of each method's reference page. */
export const METHOD_SCOPES: Record<string, readonly string[]> = {
  'users.getProfile': [SCOPES.full, SCOPES.modify, SCOPES.compose, SCOPES.readonly, SCOPES.metadata],
  'users.messages.list': [SCOPES.full, SCOPES.modify, SCOPES.readonly, SCOPES.metadata],
  'users.messages.get': [SCOPES.full, SCOPES.modify, SCOPES.readonly, SCOPES.metadata],
  'users.threads.get': [SCOPES.full, SCOPES.modify, SCOPES.readonly, SCOPES.metadata],
  'users.history.list': [SCOPES.full, SCOPES.modify, SCOPES.readonly, SCOPES.metadata],
  // gmail.metadata is NOT enough to list send-as aliases.
  'users.settings.sendAs.list': [SCOPES.settingsBasic, SCOPES.full, SCOPES.modify, SCOPES.readonly],
};

const AUTH_HELP =
  'Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.';

/**
 * Checks the bearer token and the method's scopes. Returns the token, or undefined after having
 * sent the 401/403 Google would send.
 */
export function authorize(
  tokens: TokenStore,
  endpoint: string,
  req: IncomingMessage,
  url: URL,
  res: ServerResponse,
): AccessToken | undefined {
  const header = req.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? url.searchParams.get('access_token') ?? undefined;
  if (!bearer) {
    sendGoogleError(res, {
      code: 401,
      message: `Request is missing required authentication credential. ${AUTH_HELP}`,
      itemMessage: 'Login Required.',
      reason: 'required',
      location: 'Authorization',
      locationType: 'header',
      errorInfoReason: 'CREDENTIALS_MISSING',
      headers: { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' },
    });
    return undefined;
  }
  const token = tokens.checkAccess(bearer);
  if (!token) {
    sendGoogleError(res, {
      code: 401,
      message: `Request had invalid authentication credentials. ${AUTH_HELP}`,
      itemMessage: 'Invalid Credentials',
      reason: 'authError',
      location: 'Authorization',
      locationType: 'header',
      headers: { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
    });
    return undefined;
  }
  const allowed = METHOD_SCOPES[endpoint] ?? [];
  if (!token.scopes.some((s) => allowed.includes(s))) {
    sendGoogleError(res, {
      code: 403,
      message: 'Request had insufficient authentication scopes.',
      itemMessage: 'Insufficient Permission',
      reason: 'insufficientPermissions',
      errorInfoReason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
      headers: {
        'www-authenticate': `Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="${allowed.join(' ')}"`,
      },
    });
    return undefined;
  }
  return token;
}

/** With gmail.metadata and nothing broader, q and format=full/raw are refused. */
export function isMetadataOnly(token: AccessToken): boolean {
  const broader: readonly string[] = [SCOPES.full, SCOPES.modify, SCOPES.readonly];
  return token.scopes.includes(SCOPES.metadata) && !token.scopes.some((s) => broader.includes(s));
}
