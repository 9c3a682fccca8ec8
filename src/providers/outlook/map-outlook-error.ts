import { ProviderError } from '../../lib/errors.ts';

/** Graph codes that say a delta token is no longer usable: restart that folder's delta. */
const CURSOR_CODES = new Set([
  'syncstatenotfound',
  'resyncrequired',
  'syncstateinvalid',
  'errorinvalidsyncstatedata',
]);
const SCOPE_CODES = new Set([
  'erroraccessdenied',
  'accessdenied',
  'authorization_requestdenied',
  'forbidden',
]);
const AUTH_CODES = new Set(['invalidauthenticationtoken', 'unauthenticated', 'compacttoken', 'tokenexpired']);

/**
 * Graph's raw errors (the SDK's GraphError, or anything thrown on the way) as the provider codes
 * the sync policy understands. `what` names the request, for a message that says what failed.
 */
export function mapOutlookError(error: unknown, what: string): ProviderError {
  if (error instanceof ProviderError) return error;
  if (!isGraphErrorLike(error)) {
    return new ProviderError('TEMPORARY', `Outlook ${what}: no answer (${describe(error)})`, {
      cause: error,
    });
  }
  const status = error.statusCode;
  const code = (error.code ?? readBodyCode(error.body) ?? '').toString();
  const lowered = code.toLowerCase();
  const detail = `Outlook ${what}: ${status}${code ? ` ${code}` : ''}${error.message ? ` (${error.message})` : ''}`;
  const retryAfterMs = readRetryAfter(error.headers);
  // The SDK reports a network failure (reset, DNS, TLS) as statusCode -1: trying later helps.
  if (status === -1 || status === undefined) {
    return new ProviderError('TEMPORARY', `Outlook ${what}: no answer (${error.message})`, { cause: error });
  }
  if (status === 429) return new ProviderError('RATE_LIMITED', detail, { retryAfterMs, cause: error });
  if (status === 410 || CURSOR_CODES.has(lowered)) {
    return new ProviderError('CURSOR_INVALID', detail, { cause: error });
  }
  if (status === 401 || AUTH_CODES.has(lowered))
    return new ProviderError('AUTH_REVOKED', detail, { cause: error });
  if (status === 403 && (SCOPE_CODES.has(lowered) || lowered === '')) {
    return new ProviderError('INSUFFICIENT_SCOPE', detail, { cause: error });
  }
  if (status === 404) return new ProviderError('NOT_FOUND', detail, { cause: error });
  if (status >= 500 || status === 408) {
    return new ProviderError('TEMPORARY', detail, { retryAfterMs, cause: error });
  }
  return new ProviderError('UNKNOWN', detail, { cause: error });
}

interface GraphErrorLike extends Error {
  statusCode?: number;
  code?: string | null;
  body?: unknown;
  headers?: unknown;
}

function isGraphErrorLike(error: unknown): error is GraphErrorLike {
  // The SDK's GraphError (instanceof is unreliable across bundled copies: read the shape).
  return error instanceof Error && 'statusCode' in error;
}

function readBodyCode(body: unknown): string | null {
  if (typeof body !== 'string') return null;
  try {
    const parsed = JSON.parse(body) as { code?: unknown; error?: { code?: unknown } };
    const code = parsed.code ?? parsed.error?.code;
    return typeof code === 'string' ? code : null;
  } catch {
    // Not JSON (an HTML error page from a proxy): the status alone decides.
    return null;
  }
}

function readRetryAfter(headers: unknown): number | null {
  let value: string | null | undefined;
  const get = (headers as { get?: unknown } | null | undefined)?.get;
  if (typeof get === 'function') value = get.call(headers, 'retry-after') as string | null;
  else if (headers && typeof headers === 'object') value = (headers as Record<string, string>)['retry-after'];
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
