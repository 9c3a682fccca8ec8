import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * Tokens, subjects and addresses are personal: redacted unless the operator asks for debug.
 * Paths cover the shapes our own log calls use; nothing else logs message content.
 */
const personalPaths = [
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.access_token',
  '*.refresh_token',
  '*.code',
  '*.code_verifier',
  '*.subject',
  '*.email',
  '*.address',
  '*.addresses',
  '*.from',
  '*.to',
  'email',
  'address',
  'subject',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
];

export function createLogger(
  level: string,
  options: { name?: string; destination?: NodeJS.WritableStream } = {},
): Logger {
  const redact = level === 'debug' || level === 'trace' ? [] : personalPaths;
  return pino(
    {
      name: options.name ?? 'touchbase',
      level,
      redact: { paths: redact, censor: '[redacted]' },
      base: { pid: process.pid },
      // Messages built from a URL (fastify's "Route GET:/x?code=... not found") lose their query
      // values: OAuth codes and signed links travel there. The request serializer does the same.
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((arg) => (typeof arg === 'string' ? withoutQueryValues(arg) : arg)) as typeof args,
          );
        },
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    // Logs go to stderr so CLI output on stdout stays clean (e.g. `contacts --json | jq`).
    options.destination ?? pino.destination(2),
  );
}

/** `/oauth/x/callback?code=abc&state=d` -> `/oauth/x/callback?code=[redacted]&state=[redacted]` */
export function withoutQueryValues(text: string): string {
  return text.replace(/([?&][\w.-]{1,40})=[^&\s"'#]*/g, '$1=[redacted]');
}
