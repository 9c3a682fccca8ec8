import type { Config } from '../config/config.ts';
import type { DigestTransport } from './send-digest.ts';

/** Where digests and confirmations go: SMTP_URL, or .eml files in OUTBOX_DIR; DKIM-signed if set. */
export function digestTransport(config: Config): DigestTransport {
  const dkim =
    config.DKIM_DOMAIN && config.DKIM_SELECTOR && config.DKIM_PRIVATE_KEY
      ? {
          domainName: config.DKIM_DOMAIN,
          keySelector: config.DKIM_SELECTOR,
          privateKey: config.DKIM_PRIVATE_KEY,
        }
      : undefined;
  return config.SMTP_URL
    ? { kind: 'smtp', url: config.SMTP_URL, ...(dkim ? { dkim } : {}) }
    : { kind: 'outbox', dir: config.OUTBOX_DIR, ...(dkim ? { dkim } : {}) };
}
