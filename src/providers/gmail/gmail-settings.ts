import type { Config } from '../../config/config.ts';
import type { OAuthSettings } from '../../oauth/oauth-client.ts';

/**
 * gmail.readonly (default): headers for sync, plus the one body touchbase reads (a reply to its
 * digest) and the send-as aliases. gmail.metadata (GMAIL_SCOPE=metadata): headers only; replies
 * are read from their Subject (the digest's one-click links) and aliases from the From of sent
 * mail. Offline access + consent prompt so Google always returns a refresh token.
 */
export const GMAIL_READONLY_SCOPE = 'https://www.googleapis.com/auth/gmail.readonly';
export const GMAIL_METADATA_SCOPE = 'https://www.googleapis.com/auth/gmail.metadata';

/** Whether a grant lets touchbase read a reply's text (not just its headers). */
export function canReadBodies(scopes: readonly string[]): boolean {
  return scopes.some(
    (s) => s === GMAIL_READONLY_SCOPE || s === 'https://mail.google.com/' || s.endsWith('/gmail.modify'),
  );
}

export function gmailOAuthSettings(config: Config): OAuthSettings {
  return {
    provider: 'gmail',
    authUrl: config.GOOGLE_AUTH_URL,
    tokenUrl: config.GOOGLE_TOKEN_URL,
    clientId: config.GOOGLE_CLIENT_ID,
    clientSecret: config.GOOGLE_CLIENT_SECRET,
    scopes: [config.GMAIL_SCOPE === 'metadata' ? GMAIL_METADATA_SCOPE : GMAIL_READONLY_SCOPE],
    extraAuthParams: { access_type: 'offline', prompt: 'consent' },
    // Google's revocation endpoint sits next to its token endpoint (oauth2.googleapis.com/revoke).
    revokeUrl: config.GOOGLE_REVOKE_URL ?? new URL('revoke', config.GOOGLE_TOKEN_URL).toString(),
  };
}
