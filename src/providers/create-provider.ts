import type { Redis } from 'ioredis';
import type { Config } from '../config/config.ts';
import { AppError } from '../lib/errors.ts';
import type { ProviderRequestRecorder } from '../lib/metrics.ts';
import { createQuotaGovernor } from '../lib/quota-governor.ts';
import type { ReadAhead } from '../lib/read-ahead.ts';
import type { OAuthSettings } from '../oauth/oauth-client.ts';
import type { AccessTokenSource } from '../oauth/token-manager.ts';
import { createGmailProvider } from './gmail/gmail-provider.ts';
import { dearestRequest, gmailQuota } from './gmail/gmail-quota.ts';
import { canReadBodies, gmailOAuthSettings } from './gmail/gmail-settings.ts';
import { outlookBudget } from './outlook/outlook-budget.ts';
import { createOutlookProvider } from './outlook/outlook-provider.ts';
import { outlookOAuthSettings, canReadBodies as outlookReadsBodies } from './outlook/outlook-settings.ts';
import type { MailProvider, ProviderName } from './types.ts';

export interface ProviderDefinition {
  oauth: OAuthSettings;
  /** `scopes`: what the account granted (a headers-only grant reads no bodies). */
  create(tokens: AccessTokenSource, scopes: readonly string[], wiring?: ProviderWiring): MailProvider;
  /** Whether a grant lets touchbase read the text of a reply to its digest. */
  readsBodies(scopes: readonly string[]): boolean;
}

/** What a provider for one account shares with the rest of the process. */
export interface ProviderWiring {
  /** Where the mailbox's quota is kept in Redis, shared by every worker process. */
  budget?: { redis: Redis; key: string };
  onRequest?: ProviderRequestRecorder;
  /** The process's requests handed from one backfill chunk to the next; `key` names the account. */
  readAhead?: { store: ReadAhead; key: string };
}

/** The only `switch (provider)` in touchbase: everything else goes through MailProvider. */
export function providerDefinition(name: ProviderName, config: Config): ProviderDefinition {
  switch (name) {
    case 'gmail': {
      const oauth = gmailOAuthSettings(config);
      requireClient(oauth, 'GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET');
      return {
        oauth,
        readsBodies: canReadBodies,
        create: (tokens, scopes, { budget, onRequest } = {}) => {
          const quota = gmailQuota(config.GMAIL_QUOTA_REGIME, config.GMAIL_QUOTA_UNITS_PER_MINUTE);
          return createGmailProvider({
            apiUrl: config.GMAIL_API_URL,
            tokens,
            metadataOnly: !canReadBodies(scopes),
            quota,
            ...(onRequest ? { onRequest } : {}),
            retryBaseMs: config.PROVIDER_RETRY_BASE_MS,
            requestTimeoutMs: config.PROVIDER_TIMEOUT_SECONDS * 1000,
            ...(budget
              ? {
                  governor: createQuotaGovernor(budget.redis, budget.key, {
                    unitsPerMinute: quota.unitsPerMinute,
                    largestCost: dearestRequest(quota).units,
                    // Every mailbox of this deployment spends Google's per-project quota too.
                    shared: {
                      key: `${config.QUEUE_PREFIX}:quota:gmail-project`,
                      unitsPerMinute: config.GMAIL_PROJECT_UNITS_PER_MINUTE,
                    },
                  }),
                }
              : {}),
          });
        },
      };
    }
    case 'outlook': {
      const oauth = outlookOAuthSettings(config);
      // The secret is optional: a desktop (public) app registration has none and uses PKCE alone.
      requireClient(oauth, 'MICROSOFT_CLIENT_ID');
      return {
        oauth,
        readsBodies: outlookReadsBodies,
        create: (tokens, scopes, { budget, onRequest, readAhead } = {}) =>
          createOutlookProvider({
            graphUrl: config.GRAPH_API_URL,
            tokens,
            basicOnly: !outlookReadsBodies(scopes),
            onRequest,
            readAhead,
            requestTimeoutMs: config.PROVIDER_TIMEOUT_SECONDS * 1000,
            retryBaseMs: config.PROVIDER_RETRY_BASE_MS,
            ...(budget ? outlookBudget(budget.redis, budget.key) : {}),
          }),
      };
    }
  }
}

function requireClient(oauth: OAuthSettings, idName: string, secretName?: string): void {
  if (!oauth.clientId || (secretName && !oauth.clientSecret)) {
    throw new AppError(
      'CONFIG_INVALID',
      `${secretName ? `${idName} and ${secretName} must` : `${idName} must`} be set to connect ${oauth.provider}: create an OAuth client (README, "Creating the Google OAuth app" or "Creating the Microsoft app")`,
    );
  }
}
