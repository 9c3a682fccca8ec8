import { ProviderError } from '../lib/errors.ts';
import { type OAuthSettings, refreshAccessToken, type TokenSet } from './oauth-client.ts';

/** Where tokens live; the token manager knows nothing of the database. */
export interface TokenStore {
  /** `grant`: names the stored grant (opaque); it changes when the account is connected again. */
  load(accountId: string): Promise<{
    refreshToken: string;
    accessToken: string | null;
    expiresAt: Date | null;
    grant: string;
  }>;
  /** Saves a refreshed set; a null refresh token keeps the stored one (Google does not rotate). */
  save(accountId: string, tokens: TokenSet): Promise<void>;
  /**
   * The provider refused this grant for good: the account needs reconnecting, unless it was
   * connected again since the grant was loaded (its new grant is not the one refused).
   */
  markNeedsReconnect(accountId: string, reason: string, grant: string): Promise<void>;
}

export interface AccessTokenSource {
  /**
   * A valid access token. `failed` is the token a provider just refused (401): it is refreshed
   * only if it is still the current one, so concurrent callers share one refresh.
   */
  getAccessToken(failed?: string): Promise<string>;
}

/** Refresh this long before expiry, so a token never expires mid-request. */
const EXPIRY_SKEW_MS = 5 * 60_000;

/** Holds one account's refresh across processes; resolves with a release function. */
export type RefreshLock = (accountId: string) => Promise<() => Promise<void>>;

export function createAccessTokenSource(
  accountId: string,
  settings: OAuthSettings,
  store: TokenStore,
  now: () => number = Date.now,
  lock?: RefreshLock,
): AccessTokenSource {
  let current: { token: string; expiresAt: number } | null = null;
  let inflight: Promise<string> | null = null;

  const refresh = async (failed: string | undefined): Promise<string> => {
    // Other processes refresh the same account: one at a time, and the others then find the
    // fresh token in the store instead of spending (or, with rotation, invalidating) another.
    const release = await lock?.(accountId);
    try {
      return await refreshHeld(failed);
    } finally {
      await release?.();
    }
  };

  const refreshHeld = async (failed: string | undefined): Promise<string> => {
    const stored = await store.load(accountId);
    // Another process may have refreshed already: use its token if it is still fresh.
    if (
      stored.accessToken &&
      stored.expiresAt &&
      stored.expiresAt.getTime() - EXPIRY_SKEW_MS > now() &&
      stored.accessToken !== failed
    ) {
      current = { token: stored.accessToken, expiresAt: stored.expiresAt.getTime() };
      return stored.accessToken;
    }
    let fresh: TokenSet;
    try {
      fresh = await refreshAccessToken(settings, stored.refreshToken);
    } catch (error) {
      if (error instanceof ProviderError && error.code === 'AUTH_REVOKED') {
        await store.markNeedsReconnect(accountId, error.message, stored.grant);
      }
      throw error;
    }
    // Store before use: a rotated refresh token must never be lost (Microsoft rotates).
    await store.save(accountId, fresh);
    current = { token: fresh.accessToken, expiresAt: fresh.expiresAt.getTime() };
    return fresh.accessToken;
  };

  return {
    async getAccessToken(failed) {
      const usable = current && current.expiresAt - EXPIRY_SKEW_MS > now() && current.token !== failed;
      if (usable && current) return current.token;
      if (!current && !failed) {
        const stored = await store.load(accountId);
        if (stored.accessToken && stored.expiresAt && stored.expiresAt.getTime() - EXPIRY_SKEW_MS > now()) {
          current = { token: stored.accessToken, expiresAt: stored.expiresAt.getTime() };
          return stored.accessToken;
        }
      }
      if (failed && current?.token === failed) current = null;
      inflight ??= refresh(failed).finally(() => {
        inflight = null;
      });
      return inflight;
    },
  };
}
