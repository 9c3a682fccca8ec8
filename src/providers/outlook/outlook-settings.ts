import type { Config } from '../../config/config.ts';
import type { OAuthSettings } from '../../oauth/oauth-client.ts';

/**
 * Mail.Read (default): headers for sync, plus the one body touchbase reads (a reply to its
 * digest). Mail.ReadBasic (OUTLOOK_SCOPE=basic): headers only; replies are read from their Subject.
 * offline_access is what makes Microsoft issue a refresh token; User.Read gives /me (the address).
 */
export const MAIL_READ_SCOPE = 'Mail.Read';
export const MAIL_READ_BASIC_SCOPE = 'Mail.ReadBasic';

/** Microsoft may answer a scope as a full resource URI ("https://graph.microsoft.com/Mail.Read"). */
export function bareScope(scope: string): string {
  return scope.replace(/^https:\/\/graph\.microsoft\.com\//i, '').toLowerCase();
}

/** Whether a grant lets touchbase read a reply's text (not just its headers). */
export function canReadBodies(scopes: readonly string[]): boolean {
  return scopes.some((s) => {
    const bare = bareScope(s);
    return bare === 'mail.read' || bare === 'mail.readwrite';
  });
}

export function outlookOAuthSettings(config: Config): OAuthSettings {
  const base = `${config.MICROSOFT_AUTHORITY_URL.replace(/\/+$/, '')}/${encodeURIComponent(config.MICROSOFT_TENANT)}/oauth2/v2.0`;
  return {
    provider: 'outlook',
    authUrl: `${base}/authorize`,
    tokenUrl: `${base}/token`,
    clientId: config.MICROSOFT_CLIENT_ID,
    clientSecret: config.MICROSOFT_CLIENT_SECRET,
    scopes: [
      'offline_access',
      'User.Read',
      config.OUTLOOK_SCOPE === 'basic' ? MAIL_READ_BASIC_SCOPE : MAIL_READ_SCOPE,
    ],
    extraAuthParams: { response_mode: 'query' },
    // Not always echoed in the token answer's `scope`; the refresh token itself proves it.
    ignoreScopes: ['offline_access'],
  };
}
