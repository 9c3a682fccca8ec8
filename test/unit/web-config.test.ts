import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.ts';
import { generateSecret } from '../../src/lib/token-cipher.ts';
import { gmailOAuthSettings } from '../../src/providers/gmail/gmail-settings.ts';

const minimal = {
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/touchbase',
  TOUCHBASE_SECRET: generateSecret(),
};

describe('web app settings', () => {
  it('default: 30-day sessions, 30 sign-in requests a minute, Google’s public revocation endpoint', () => {
    const config = parseConfig(minimal);
    expect(config.SESSION_DAYS).toBe(30);
    expect(config.AUTH_RATE_LIMIT_PER_MINUTE).toBe(30);
    expect(gmailOAuthSettings(config).revokeUrl).toBe('https://oauth2.googleapis.com/revoke');
  });

  it('revokes next to a custom token endpoint unless told otherwise', () => {
    const beside = parseConfig({ ...minimal, GOOGLE_TOKEN_URL: 'http://127.0.0.1:9/token' });
    expect(gmailOAuthSettings(beside).revokeUrl).toBe('http://127.0.0.1:9/revoke');
    const told = parseConfig({ ...minimal, GOOGLE_REVOKE_URL: 'https://revoke.example/r' });
    expect(gmailOAuthSettings(told).revokeUrl).toBe('https://revoke.example/r');
  });

  it.each([
    [{ SESSION_DAYS: '0' }, /SESSION_DAYS/],
    [{ AUTH_RATE_LIMIT_PER_MINUTE: 'lots' }, /AUTH_RATE_LIMIT_PER_MINUTE must be a whole number/],
    [{ GOOGLE_REVOKE_URL: 'not a url' }, /GOOGLE_REVOKE_URL must be a full URL/],
  ])('refuses %j', (settings, message) => {
    expect(() => parseConfig({ ...minimal, ...settings })).toThrow(message);
  });
});
