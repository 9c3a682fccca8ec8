import { describe, expect, it } from 'vitest';
import { AppError, ProviderError } from '../../src/lib/errors.ts';
import { decideSyncError, syncRetryDelay } from '../../src/sync/sync-error-policy.ts';

describe('sync error policy', () => {
  it.each([
    [new ProviderError('AUTH_REVOKED', 'invalid_grant'), 'reconnect'],
    [new ProviderError('INSUFFICIENT_SCOPE', 'no gmail scope'), 'reconnect'],
    [new ProviderError('RATE_LIMITED', '429', { retryAfterMs: 5000 }), 'retry'],
    [new ProviderError('TEMPORARY', '503'), 'retry'],
    [new ProviderError('CURSOR_INVALID', 'expired twice'), 'fail'],
    [new ProviderError('NOT_FOUND', 'gone'), 'fail'],
    [new ProviderError('UNKNOWN', '400 bad request'), 'fail'],
    [new AppError('TOKEN_TAMPERED', 'bad token'), 'fail'],
    [new AppError('SOMETHING', 'passing', { retryable: true }), 'retry'],
    [new Error('Connection terminated unexpectedly'), 'retry'],
  ])('%s -> %s', (error, action) => {
    expect(decideSyncError(error).action).toBe(action);
  });

  it('keeps the provider retry-after', () => {
    expect(decideSyncError(new ProviderError('RATE_LIMITED', '429', { retryAfterMs: 5000 }))).toEqual({
      action: 'retry',
      reason: '429',
      retryAfterMs: 5000,
    });
  });

  it('tells the user what to do when a permission is missing', () => {
    expect(decideSyncError(new ProviderError('INSUFFICIENT_SCOPE', 'x')).reason).toMatch(/reconnect/);
  });

  it.each([
    // attemptsMade, error, random, expected ms (base 1000): exponential, half to all of the step
    [1, new ProviderError('TEMPORARY', '503'), 0, 500],
    [1, new ProviderError('TEMPORARY', '503'), 1, 1000],
    [3, new ProviderError('RATE_LIMITED', '403'), 0.5, 3000],
    // Never sooner than the provider asked, however early the backoff would come back.
    [1, new ProviderError('RATE_LIMITED', '429', { retryAfterMs: 5000 }), 1, 5000],
    [1, new ProviderError('TEMPORARY', '503', { retryAfterMs: 2500 }), 0, 2500],
    // A Retry-After shorter than the backoff changes nothing.
    [4, new ProviderError('RATE_LIMITED', '429', { retryAfterMs: 1000 }), 0, 4000],
    [2, new Error('Connection terminated unexpectedly'), 1, 2000],
  ])(
    'a job retried after %i attempts (%s, jitter %d) waits %i ms',
    (attemptsMade, error, random, expected) => {
      expect(syncRetryDelay(attemptsMade, error, 1000, () => random)).toBe(expected);
    },
  );
});
