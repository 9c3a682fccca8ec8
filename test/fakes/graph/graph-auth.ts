import type { AccessToken, TokenStore } from './token-store.ts';

const GRAPH_PREFIX = /^https:\/\/graph\.microsoft\.com\//i;

/** `https://graph.microsoft.com/Mail.Read` and `Mail.Read` name the same permission. */
export function shortScope(s: string): string {
  return s.replace(GRAPH_PREFIX, '').toLowerCase();
}

export const USER_SCOPES = [
  'user.read',
  'user.readwrite',
  'user.readbasic.all',
  'user.read.all',
  'user.readwrite.all',
  'directory.read.all',
];
export const MAIL_SCOPES = [
  'mail.readbasic',
  'mail.read',
  'mail.readwrite',
  'mail.readbasic.shared',
  'mail.read.shared',
  'mail.readwrite.shared',
];
const FULL_MAIL = ['mail.read', 'mail.readwrite', 'mail.read.shared', 'mail.readwrite.shared'];

export type AuthResult = { ok: true; token: AccessToken } | { ok: false; status: 401; message: string };

/** The bearer check Graph does before anything else. */
export function checkBearer(tokens: TokenStore, authorization: string | undefined): AuthResult {
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (!bearer) return { ok: false, status: 401, message: 'Access token is empty.' };
  const found = tokens.checkAccess(bearer);
  if (found === undefined) {
    return { ok: false, status: 401, message: 'IDX14100: JWT is not well formed, there are no dots (.).' };
  }
  if (found === 'expired')
    return { ok: false, status: 401, message: 'Lifetime validation failed, the token is expired.' };
  return { ok: true, token: found };
}

export function hasAny(token: AccessToken, allowed: readonly string[]): boolean {
  return token.scopes.some((s) => allowed.includes(shortScope(s)));
}

/** Mail.ReadBasic without a broader mail permission: no bodies, previews or headers. */
export function isBasicOnly(token: AccessToken): boolean {
  return !hasAny(token, FULL_MAIL);
}

export const WWW_AUTHENTICATE =
  'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"';
