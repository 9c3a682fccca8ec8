import type { Config } from '../../config/config.ts';
import type { OAuthSettings } from '../../oauth/oauth-client.ts';

/**
 * gmail.readonly: headers for sync, plus the one body touchbase reads (a reply to its digest)
 * and the send-as aliases. Offline access + consent prompt so Google always returns a refresh token.
 */
export const GMAIL_SCOPES = ['https://www.googleapis.com/auth/gmail.readonly'] as const;

export function gmailOAuthSettings(config: Config): OAuthSettings {
  return {
    provider: 'gmail',
    authUrl: config.GOOGLE_AUTH_URL,
    tokenUrl: config.GOOGLE_TOKEN_URL,
    clientId: config.GOOGLE_CLIENT_ID,
    clientSecret: config.GOOGLE_CLIENT_SECRET,
    scopes: GMAIL_SCOPES,
    extraAuthParams: { access_type: 'offline', prompt: 'consent' },
  };
}
