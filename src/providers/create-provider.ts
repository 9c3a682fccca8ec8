import type { Config } from '../config/config.ts';
import { AppError } from '../lib/errors.ts';
import type { OAuthSettings } from '../oauth/oauth-client.ts';
import type { AccessTokenSource } from '../oauth/token-manager.ts';
import { createGmailProvider } from './gmail/gmail-provider.ts';
import { gmailOAuthSettings } from './gmail/gmail-settings.ts';
import type { MailProvider, ProviderName } from './types.ts';

export interface ProviderDefinition {
  oauth: OAuthSettings;
  create(tokens: AccessTokenSource): MailProvider;
}

/** The only `switch (provider)` in touchbase: everything else goes through MailProvider. */
export function providerDefinition(name: ProviderName, config: Config): ProviderDefinition {
  switch (name) {
    case 'gmail': {
      const oauth = gmailOAuthSettings(config);
      requireClient(oauth, 'GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET');
      return { oauth, create: (tokens) => createGmailProvider({ apiUrl: config.GMAIL_API_URL, tokens }) };
    }
    case 'outlook':
      throw new AppError(
        'PROVIDER_UNAVAILABLE',
        'Outlook accounts are not supported yet; connect a Gmail account',
      );
  }
}

function requireClient(oauth: OAuthSettings, idName: string, secretName: string): void {
  if (!oauth.clientId || !oauth.clientSecret) {
    throw new AppError(
      'CONFIG_INVALID',
      `${idName} and ${secretName} must be set to connect ${oauth.provider}: create an OAuth client (README, "Connecting a real Google or Microsoft app")`,
    );
  }
}
