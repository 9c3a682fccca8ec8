import type { OAuthSettings } from './oauth-client.ts';

export type RevokeOutcome = 'revoked' | 'already-invalid' | 'unsupported' | 'failed';

/**
 * Asks the provider to revoke a token (RFC 7009). Revoking is a courtesy on the way out: the
 * caller deletes the stored tokens whatever happens, so this never throws; it says what happened.
 */
export async function revokeToken(settings: OAuthSettings, token: string): Promise<RevokeOutcome> {
  if (!settings.revokeUrl) return 'unsupported';
  try {
    const response = await fetch(settings.revokeUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
      signal: AbortSignal.timeout(10_000),
    });
    if (response.ok) return 'revoked';
    // Google answers 400 invalid_token for a token the user already revoked or that expired.
    const body = (await response.json().catch(() => null)) as { error?: unknown } | null;
    return response.status === 400 && body?.error === 'invalid_token' ? 'already-invalid' : 'failed';
  } catch {
    // Network failure or timeout: reported as 'failed' to the user, who can revoke by hand.
    return 'failed';
  }
}
