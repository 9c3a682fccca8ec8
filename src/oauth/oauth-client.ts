import { z } from 'zod';
import { AppError, ProviderError } from '../lib/errors.ts';

/** What touchbase needs to run the authorization code flow against one provider. */
export interface OAuthSettings {
  provider: 'gmail' | 'outlook';
  authUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scopes: readonly string[];
  /** Extra authorize parameters (Google: access_type=offline, prompt=consent). */
  extraAuthParams: Readonly<Record<string, string>>;
  /** Scopes a provider may grant under another name, or adds by itself (openid...). */
  ignoreScopes?: readonly string[];
  /**
   * RFC 7009 token revocation, where the provider has one for a single token (Google does;
   * Microsoft does not: its tokens end only when the user removes the app's consent).
   */
  revokeUrl?: string;
}

export interface TokenSet {
  accessToken: string;
  expiresAt: Date;
  /**
   * Null on a refresh that does not rotate (Google omits it; an empty one counts as omitted);
   * present when it does (Microsoft). Never "".
   */
  refreshToken: string | null;
  scopes: string[];
}

export function buildAuthorizeUrl(
  settings: OAuthSettings,
  params: { redirectUri: string; state: string; codeChallenge: string; loginHint?: string | undefined },
): string {
  const url = new URL(settings.authUrl);
  const query = url.searchParams;
  query.set('response_type', 'code');
  query.set('client_id', settings.clientId);
  query.set('redirect_uri', params.redirectUri);
  query.set('scope', settings.scopes.join(' '));
  query.set('state', params.state);
  query.set('code_challenge', params.codeChallenge);
  query.set('code_challenge_method', 'S256');
  if (params.loginHint) query.set('login_hint', params.loginHint);
  for (const [key, value] of Object.entries(settings.extraAuthParams)) query.set(key, value);
  return url.toString();
}

export async function exchangeCode(
  settings: OAuthSettings,
  params: { code: string; redirectUri: string; codeVerifier: string },
): Promise<TokenSet> {
  return tokenRequest(settings, {
    grant_type: 'authorization_code',
    code: params.code,
    redirect_uri: params.redirectUri,
    code_verifier: params.codeVerifier,
  });
}

export async function refreshAccessToken(settings: OAuthSettings, refreshToken: string): Promise<TokenSet> {
  return tokenRequest(settings, { grant_type: 'refresh_token', refresh_token: refreshToken });
}

/** The requested scopes the provider did not grant (the user unticked a box on the consent page). */
export function missingScopes(settings: OAuthSettings, granted: readonly string[]): string[] {
  // Microsoft may answer "https://graph.microsoft.com/Mail.Read" for a requested "Mail.Read".
  const bare = (s: string) => s.toLowerCase().replace(/^https:\/\/graph\.microsoft\.com\//, '');
  const have = new Set(granted.map(bare));
  return settings.scopes.filter((s) => !have.has(bare(s)) && !settings.ignoreScopes?.includes(s));
}

const tokenResponse = z.object({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().positive().default(3600),
  // "" (or null) reads as absent, not as a bad answer: on a refresh the stored token is kept,
  // never wiped; at connect it is a missing refresh token, which the connection reports.
  refresh_token: z.string().nullish(),
  scope: z.string().optional(),
});

const tokenError = z.object({ error: z.string(), error_description: z.string().optional() });

async function tokenRequest(settings: OAuthSettings, form: Record<string, string>): Promise<TokenSet> {
  // A public client (a Microsoft "Mobile and desktop" registration) has no secret and must not
  // send one; PKCE proves the code is ours.
  const body = new URLSearchParams({
    ...form,
    client_id: settings.clientId,
    ...(settings.clientSecret ? { client_secret: settings.clientSecret } : {}),
  });
  let response: Response;
  try {
    response = await fetch(settings.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      signal: AbortSignal.timeout(30_000),
    });
  } catch (cause) {
    throw new ProviderError('TEMPORARY', `could not reach the ${settings.provider} token endpoint`, {
      cause,
    });
  }
  const json: unknown = await response.json().catch(() => null);
  if (!response.ok) throw tokenFailure(settings, response.status, json, form.grant_type ?? '');
  const parsed = tokenResponse.safeParse(json);
  if (!parsed.success) {
    throw new AppError(
      'OAUTH_BAD_RESPONSE',
      `the ${settings.provider} token endpoint answered without an access token`,
    );
  }
  const data = parsed.data;
  return {
    accessToken: data.access_token,
    expiresAt: new Date(Date.now() + data.expires_in * 1000),
    refreshToken: data.refresh_token || null,
    // An absent scope means "as requested" (RFC 6749 5.1); an empty one means nothing was granted.
    scopes: data.scope !== undefined ? data.scope.split(/\s+/).filter(Boolean) : [...settings.scopes],
  };
}

function tokenFailure(settings: OAuthSettings, status: number, json: unknown, grant: string): Error {
  const parsed = tokenError.safeParse(json);
  const code = parsed.success ? parsed.data.error : `http_${status}`;
  const description = parsed.success ? (parsed.data.error_description ?? '') : '';
  const detail = `${code}${description ? `: ${description}` : ''}`;
  // invalid_grant on refresh = the user revoked access or the token expired: only reconnecting helps.
  if (code === 'invalid_grant' || code === 'interaction_required') {
    return new ProviderError(
      'AUTH_REVOKED',
      grant === 'refresh_token'
        ? `${settings.provider} refused the stored token (${detail}); reconnect the account`
        : `${settings.provider} refused the authorization code (${detail})`,
    );
  }
  if (status === 429)
    return new ProviderError('RATE_LIMITED', `${settings.provider} token endpoint: ${detail}`);
  if (status >= 500) return new ProviderError('TEMPORARY', `${settings.provider} token endpoint: ${detail}`);
  return new AppError('OAUTH_FAILED', `${settings.provider} token endpoint refused the request (${detail})`);
}
