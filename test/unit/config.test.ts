import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.ts';
import { generateSecret } from '../../src/lib/token-cipher.ts';

const minimal = {
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/touchbase',
  TOUCHBASE_SECRET: generateSecret(),
};

describe('settings', () => {
  it('needs only the database and the secret; the rest default to the public endpoints', () => {
    const config = parseConfig(minimal);
    expect(config.GOOGLE_AUTH_URL).toBe('https://accounts.google.com/o/oauth2/v2/auth');
    expect(config.GOOGLE_TOKEN_URL).toBe('https://oauth2.googleapis.com/token');
    expect(config.GMAIL_API_URL).toBe('https://gmail.googleapis.com/');
    expect(config.MICROSOFT_AUTHORITY_URL).toBe('https://login.microsoftonline.com');
    expect(config.MICROSOFT_TENANT).toBe('common');
    expect(config.GRAPH_API_URL).toBe('https://graph.microsoft.com');
    expect(config.SYNC_INTERVAL_MINUTES).toBe(15);
    expect(config.BACKFILL_DAYS).toBe(730);
    expect(config.PORT).toBe(3000);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.OUTBOX_DIR).toBe('./outbox');
    expect(config.SMTP_URL).toBeUndefined();
    expect(config.GMAIL_PROJECT_UNITS_PER_MINUTE).toBe(1_200_000);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('keeps the admin area and metrics token off unless set, and gives SIGTERM 30 s', () => {
    const config = parseConfig({ ...minimal, ADMIN_TOKEN: '', METRICS_TOKEN: '' });
    expect(config.ADMIN_TOKEN).toBeUndefined();
    expect(config.METRICS_TOKEN).toBeUndefined();
    expect(config.SHUTDOWN_GRACE_SECONDS).toBe(30);
    expect(parseConfig({ ...minimal, ADMIN_TOKEN: 'x'.repeat(24) }).ADMIN_TOKEN).toBe('x'.repeat(24));
  });

  it.each([
    [{ DATABASE_URL: undefined }, /DATABASE_URL is required/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must be a postgresql:\/\/ URL/],
    [{ TOUCHBASE_SECRET: undefined }, /TOUCHBASE_SECRET is required — run `touchbase secret`/],
    [{ TOUCHBASE_SECRET: 'c2hvcnQ=' }, /TOUCHBASE_SECRET must be base64 of exactly 32 random bytes/],
    [{ SYNC_INTERVAL_MINUTES: 'often' }, /SYNC_INTERVAL_MINUTES must be a whole number/],
    [{ GMAIL_API_URL: 'not a url' }, /GMAIL_API_URL must be a full URL/],
    [{ SMTP_URL: 'http://mail' }, /SMTP_URL must be an smtp:\/\/ or smtps:\/\/ URL/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ ADMIN_TOKEN: 'short' }, /ADMIN_TOKEN must be at least 24 characters/],
    [{ METRICS_TOKEN: 'short' }, /METRICS_TOKEN must be at least 24 characters/],
    [{ SHUTDOWN_GRACE_SECONDS: '0' }, /SHUTDOWN_GRACE_SECONDS/],
    [
      { GMAIL_QUOTA_REGIME: '2026', GMAIL_QUOTA_UNITS_PER_MINUTE: '50' },
      /GMAIL_QUOTA_UNITS_PER_MINUTE must be at least 80 under the 2026 regime \(two of its dearest request, threads.get at 40 units, a minute\), not 50/,
    ],
    [
      { GMAIL_PROJECT_UNITS_PER_MINUTE: '15' },
      /GMAIL_PROJECT_UNITS_PER_MINUTE must be at least 20 under the legacy regime/,
    ],
  ])('stops start-up naming the setting and the fix: %o', (change, message) => {
    expect(() => parseConfig({ ...minimal, ...change })).toThrow(message);
  });

  it('takes a raised or small Gmail budget that still pays for two of the dearest request a minute', () => {
    const config = parseConfig({
      ...minimal,
      GMAIL_QUOTA_REGIME: '2026',
      GMAIL_QUOTA_UNITS_PER_MINUTE: '80',
    });
    expect(config.GMAIL_QUOTA_UNITS_PER_MINUTE).toBe(80);
  });

  it('treats an empty SMTP_URL as unset (the outbox)', () => {
    expect(parseConfig({ ...minimal, SMTP_URL: '' }).SMTP_URL).toBeUndefined();
  });
});
