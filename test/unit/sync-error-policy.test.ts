import { describe, expect, it } from 'vitest';
import { AppError, ProviderError } from '../../src/lib/errors.ts';
import { decideSyncError } from '../../src/sync/sync-error-policy.ts';

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
});
