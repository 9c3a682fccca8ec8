import { ProviderError } from '../../lib/errors.ts';

const RATE_REASONS = new Set([
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'quotaExceeded',
  'dailyLimitExceeded',
]);
const SCOPE_REASONS = new Set(['insufficientPermissions', 'ACCESS_TOKEN_SCOPE_INSUFFICIENT', 'forbidden']);
/** Google's 429 for its per-user concurrency limit (the "Resolve errors" guide). */
const CONCURRENCY_MESSAGE = /too many concurrent requests/i;

/** Gmail's raw errors as the provider codes the sync policy understands. */
export function mapGmailError(error: unknown, what: string): ProviderError {
  if (error instanceof ProviderError) return error;
  // googleapis bundles its own copy of gaxios, so `instanceof GaxiosError` cannot be trusted:
  // read the shape instead.
  if (!isGaxiosLike(error)) {
    return new ProviderError(
      'UNKNOWN',
      `Gmail ${what} failed: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  const status = error.status ?? error.response?.status;
  if (status === undefined) {
    // No HTTP answer at all: a reset, a timeout, DNS. Trying again later helps.
    return new ProviderError('TEMPORARY', `Gmail ${what}: no answer (${error.code ?? error.message})`, {
      cause: error,
    });
  }
  const { reason, message } = readGoogleError(error.response?.data);
  const retryAfterMs = readRetryAfter(error.response?.headers);
  const detail = `Gmail ${what}: ${status}${reason ? ` ${reason}` : ''}${message ? ` (${message})` : ''}`;
  if (status === 429 || (status === 403 && reason && RATE_REASONS.has(reason))) {
    // Too many calls at once is not too many units: the provider narrows its requests in flight
    // for the one, and waits for the other (see isConcurrencyLimit).
    // Google's quota page: the per-project limit is refused as 403 rateLimitExceeded, the
    // per-user one as userRateLimitExceeded.
    const limit =
      status === 429 && message && CONCURRENCY_MESSAGE.test(message)
        ? 'concurrency'
        : status === 403 && reason === 'rateLimitExceeded'
          ? 'project'
          : 'quota';
    return new ProviderError('RATE_LIMITED', detail, { retryAfterMs, cause: error, context: { limit } });
  }
  if (status === 401) return new ProviderError('AUTH_REVOKED', detail, { cause: error });
  if (status === 403 && (!reason || SCOPE_REASONS.has(reason))) {
    return new ProviderError('INSUFFICIENT_SCOPE', detail, { cause: error });
  }
  if (status === 404) return new ProviderError('NOT_FOUND', detail, { cause: error });
  if (status >= 500 || status === 408)
    return new ProviderError('TEMPORARY', detail, { retryAfterMs, cause: error });
  return new ProviderError('UNKNOWN', detail, { cause: error });
}

function readGoogleError(data: unknown): { reason: string | null; message: string | null } {
  if (typeof data !== 'object' || data === null || !('error' in data)) return { reason: null, message: null };
  const body = (data as { error: unknown }).error;
  if (typeof body !== 'object' || body === null) return { reason: null, message: null };
  const { errors, message, status } = body as {
    errors?: { reason?: string; message?: string }[];
    message?: string;
    status?: string;
  };
  return { reason: errors?.[0]?.reason ?? status ?? null, message: message ?? errors?.[0]?.message ?? null };
}

/** A RATE_LIMITED answer to the app's quota, every user together: every mailbox waits. */
export function isProjectLimit(error: ProviderError): boolean {
  return error.code === 'RATE_LIMITED' && error.context.limit === 'project';
}

/** A RATE_LIMITED answer to too many requests in flight at once, rather than to spent quota. */
export function isConcurrencyLimit(error: ProviderError): boolean {
  return error.code === 'RATE_LIMITED' && error.context.limit === 'concurrency';
}

function readRetryAfter(headers: unknown): number | null {
  let value: string | null | undefined;
  // A fetch Headers (any implementation: googleapis bundles its own gaxios) or a plain object.
  const get = (headers as { get?: unknown } | null)?.get;
  if (typeof get === 'function') value = get.call(headers, 'retry-after') as string | null;
  else if (headers && typeof headers === 'object') value = (headers as Record<string, string>)['retry-after'];
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

interface GaxiosLike extends Error {
  status?: number;
  code?: string | number;
  response?: { status?: number; data?: unknown; headers?: unknown };
}

function isGaxiosLike(error: unknown): error is GaxiosLike {
  return error instanceof Error && (error.name === 'GaxiosError' || 'response' in error || 'config' in error);
}
