import { z } from 'zod';
import { AppError } from '../lib/errors.ts';
import { smallestBudget } from '../lib/quota-governor.ts';
import { dearestRequest, gmailQuota } from '../providers/gmail/gmail-quota.ts';

/**
 * Every setting touchbase reads, in one schema. `process.env` is read nowhere else.
 * Defaults are the public provider endpoints, so a real deployment sets only credentials.
 */
const secret = z.string({ error: 'is required' }).refine((v) => Buffer.from(v, 'base64').length === 32, {
  error: 'must be base64 of exactly 32 random bytes',
});

const url = z.url({ error: 'must be a full URL, e.g. https://example.com' });

const positiveInt = (fallback: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .positive()
    .default(fallback);

/** Unset or empty: the feature is off. Set: long enough that guessing is hopeless. */
const optionalToken = z
  .string()
  .min(24, 'must be at least 24 characters (e.g. openssl rand -base64 32)')
  .optional()
  .or(z.literal('').transform(() => undefined));

export const configSchema = z.object({
  DATABASE_URL: z
    .string({ error: 'is required' })
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .default('redis://127.0.0.1:6379'),
  TOUCHBASE_SECRET: secret,
  PUBLIC_URL: url.default('http://localhost:3000'),
  GOOGLE_CLIENT_ID: z.string().default(''),
  GOOGLE_CLIENT_SECRET: z.string().default(''),
  GOOGLE_AUTH_URL: url.default('https://accounts.google.com/o/oauth2/v2/auth'),
  GOOGLE_TOKEN_URL: url.default('https://oauth2.googleapis.com/token'),
  // Default: "revoke" next to GOOGLE_TOKEN_URL (https://oauth2.googleapis.com/revoke).
  GOOGLE_REVOKE_URL: url.optional(),
  GMAIL_API_URL: url.default('https://gmail.googleapis.com/'),
  // Google's per-user Gmail quota: projects from before May 2026 (legacy) or after (2026).
  GMAIL_QUOTA_REGIME: z.enum(['legacy', '2026'], { error: 'must be legacy or 2026' }).default('legacy'),
  // Overrides the regime's per-user units per minute, for a project with a raised quota.
  GMAIL_QUOTA_UNITS_PER_MINUTE: z.coerce.number().int().positive().optional(),
  // Google's per-project Gmail quota (every user of the app together), for a project with a raised one.
  GMAIL_PROJECT_UNITS_PER_MINUTE: positiveInt(1_200_000),
  // readonly: headers + the text of replies to the digest; metadata: headers only (least privilege).
  GMAIL_SCOPE: z
    .enum(['readonly', 'metadata'], { error: 'must be readonly or metadata' })
    .default('readonly'),
  MICROSOFT_CLIENT_ID: z.string().default(''),
  MICROSOFT_CLIENT_SECRET: z.string().default(''),
  MICROSOFT_TENANT: z.string().min(1).default('common'),
  MICROSOFT_AUTHORITY_URL: url.default('https://login.microsoftonline.com'),
  GRAPH_API_URL: url.default('https://graph.microsoft.com'),
  // read: Mail.Read, headers + the text of replies to the digest; basic: Mail.ReadBasic, headers only.
  OUTLOOK_SCOPE: z.enum(['read', 'basic'], { error: 'must be read or basic' }).default('read'),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  OUTBOX_DIR: z.string().min(1).default('./outbox'),
  DIGEST_FROM: z.string().min(3).default('touchbase <touchbase@localhost>'),
  SYNC_INTERVAL_MINUTES: positiveInt(15),
  BACKFILL_DAYS: positiveInt(730),
  // A backfill runs as a chain of jobs, each this many seconds at most; a Gmail job also reads at
  // most this many list pages (500 messages), an Outlook one is bounded by time alone.
  BACKFILL_CHUNK_PAGES: positiveInt(10),
  BACKFILL_CHUNK_SECONDS: positiveInt(60),
  // How long a sync job of a killed worker stays claimed before another worker takes it over.
  SYNC_STALLED_SECONDS: positiveInt(30),
  // How often each worker checks that Redis still holds the schedules (declared again if not).
  SCHEDULE_CHECK_SECONDS: positiveInt(30),
  // First wait before a failed sync job is tried again (it doubles, with jitter, over 5 attempts).
  SYNC_RETRY_BASE_SECONDS: positiveInt(30),
  // First wait of the in-request backoff on a provider 5xx or timeout (doubles, with jitter).
  PROVIDER_RETRY_BASE_MS: positiveInt(1000),
  // A provider request unanswered this long is abandoned and retried like a 5xx.
  PROVIDER_TIMEOUT_SECONDS: positiveInt(30),
  GROUP_SIZE_LIMIT: positiveInt(10),
  OWE_REPLY_DAYS: positiveInt(2),
  AWAIT_REPLY_DAYS: positiveInt(7),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  // How long a web sign-in lasts without use (days); signing out or deleting data ends it at once.
  SESSION_DAYS: positiveInt(30),
  // OAuth start/callback requests per minute per client address (the web app's auth routes).
  AUTH_RATE_LIMIT_PER_MINUTE: positiveInt(30),
  // Behind a reverse proxy: whose X-Forwarded-For to believe, so rate limits and logs see the
  // visitor's address, not the proxy's. Unset: nobody's. `true`, or the proxy's addresses/CIDRs.
  TRUST_PROXY: z
    .string()
    .optional()
    .transform((value): boolean | string => {
      const trimmed = value?.trim() ?? '';
      if (trimmed === '' || trimmed === 'false') return false;
      return trimmed === 'true' ? true : trimmed;
    }),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  QUEUE_PREFIX: z.string().min(1).default('touchbase'),
  // The admin area (bull-board, accounts needing reconnect): off unless set.
  ADMIN_TOKEN: optionalToken,
  // When set, /metrics wants `Authorization: Bearer <METRICS_TOKEN>`; unset, it is open.
  METRICS_TOKEN: optionalToken,
  // SIGTERM: in-flight jobs and requests get this long to finish before being handed back.
  SHUTDOWN_GRACE_SECONDS: positiveInt(30),
  // DKIM signing of digests: all three, or none.
  DKIM_DOMAIN: z.string().optional(),
  DKIM_SELECTOR: z.string().optional(),
  // The PEM private key; "\n" escapes are read as newlines, so it fits on one line of a .env.
  DKIM_PRIVATE_KEY: z
    .string()
    .optional()
    .transform((key) => key?.replaceAll('\\n', '\n')),
});

export type Config = Readonly<z.infer<typeof configSchema>>;

const dkimSet = (env: Record<string, string | undefined>) =>
  ['DKIM_DOMAIN', 'DKIM_SELECTOR', 'DKIM_PRIVATE_KEY'].filter((key) => env[key]);

/** How to fix each setting, said in the start-up error next to the variable's name. */
const fixes: Partial<Record<keyof Config, string>> = {
  DATABASE_URL: 'set it to your Postgres, e.g. postgresql://postgres@127.0.0.1:5432/touchbase',
  TOUCHBASE_SECRET:
    'run `touchbase secret` and put its output in TOUCHBASE_SECRET (keep it safe: it encrypts tokens)',
  REDIS_URL: 'set it to your Redis, e.g. redis://127.0.0.1:6379',
  SMTP_URL: 'e.g. smtp://user:pass@smtp.example.com:587, or leave it unset to write digests to OUTBOX_DIR',
};

/** Parses settings once; a missing or bad one throws an error naming the variable and the fix. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '?') as keyof Config;
      const fix = fixes[key];
      return `  ${key} ${issue.message}${fix ? ` — ${fix}` : ''}`;
    });
    throw new AppError('CONFIG_INVALID', `touchbase cannot start: bad settings\n${lines.join('\n')}`, {
      retryable: false,
    });
  }
  const quotaProblem = gmailBudgetProblem(result.data);
  if (quotaProblem) {
    throw new AppError('CONFIG_INVALID', `touchbase cannot start: bad settings\n  ${quotaProblem}`);
  }
  const dkim = dkimSet(env);
  if (dkim.length > 0 && dkim.length < 3) {
    throw new AppError(
      'CONFIG_INVALID',
      `touchbase cannot start: bad settings\n  DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY go together (only ${dkim.join(', ')} set) — set all three to sign digests, or none`,
    );
  }
  if (result.data.DKIM_PRIVATE_KEY && !result.data.DKIM_PRIVATE_KEY.includes('PRIVATE KEY')) {
    throw new AppError(
      'CONFIG_INVALID',
      'touchbase cannot start: bad settings\n  DKIM_PRIVATE_KEY must be a PEM private key (-----BEGIN PRIVATE KEY----- ...), newlines as \\n',
    );
  }
  return Object.freeze(result.data);
}

/** A Gmail budget too small to pay for the regime's dearest request with the governor's margin. */
function gmailBudgetProblem(config: z.infer<typeof configSchema>): string | undefined {
  const quota = gmailQuota(config.GMAIL_QUOTA_REGIME, config.GMAIL_QUOTA_UNITS_PER_MINUTE);
  const { method, units } = dearestRequest(quota);
  const least = smallestBudget(units);
  for (const key of ['GMAIL_QUOTA_UNITS_PER_MINUTE', 'GMAIL_PROJECT_UNITS_PER_MINUTE'] as const) {
    const budget = config[key];
    if (budget !== undefined && budget < least) {
      return `${key} must be at least ${least} under the ${config.GMAIL_QUOTA_REGIME} regime (two of its dearest request, ${method} at ${units} units, a minute), not ${budget} — set it to your project's quota as the Google Cloud console shows it, or leave it unset`;
    }
  }
  return undefined;
}

let cached: Config | undefined;

/** The process's settings, from the environment (and a .env file the CLI loaded). */
export function loadConfig(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}
