/**
 * One error base for the whole service. Errors are signals: `code` says what happened,
 * `retryable` whether trying again can help; they are logged once, where handled.
 */
export class AppError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly context: Record<string, unknown>;

  constructor(
    code: string,
    message: string,
    options: { retryable?: boolean; context?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.context = options.context ?? {};
  }
}

/** The codes every provider maps its raw errors to (DESIGN.md, "Provider seam"). */
export type ProviderErrorCode =
  | 'AUTH_REVOKED'
  | 'INSUFFICIENT_SCOPE'
  | 'RATE_LIMITED'
  | 'CURSOR_INVALID'
  | 'NOT_FOUND'
  | 'TEMPORARY'
  | 'UNKNOWN';

export class ProviderError extends AppError {
  declare readonly code: ProviderErrorCode;
  readonly retryAfterMs: number | null;

  constructor(
    code: ProviderErrorCode,
    message: string,
    options: { retryAfterMs?: number | null; cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(code, message, {
      retryable: code === 'RATE_LIMITED' || code === 'TEMPORARY',
      cause: options.cause,
      context: options.context ?? {},
    });
    this.retryAfterMs = options.retryAfterMs ?? null;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** A short, safe description of any thrown value (no stack, no payloads). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
