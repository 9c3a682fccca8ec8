import { describe, expect, it } from 'vitest';
import {
  isConcurrencyLimit,
  isProjectLimit,
  mapGmailError,
} from '../../src/providers/gmail/map-gmail-error.ts';

/** A refusal shaped as googleapis' gaxios raises it, with Google's error envelope. */
function refusal(status: number, reason: string, message: string, retryAfter?: string) {
  const error = Object.assign(new Error(message), {
    name: 'GaxiosError',
    status,
    response: {
      status,
      data: { error: { code: status, message, errors: [{ reason, message, domain: 'usageLimits' }] } },
      headers: new Headers(retryAfter ? { 'retry-after': retryAfter } : {}),
    },
  });
  return error;
}

describe('Gmail rate-limit answers', () => {
  it.each([
    // status, reason, message, Retry-After, concurrency?, retryAfterMs, the project's quota?
    [429, 'rateLimitExceeded', 'Too many concurrent requests for user', undefined, true, null, false],
    [429, 'rateLimitExceeded', 'Too many concurrent requests for user.', '2', true, 2000, false],
    [403, 'userRateLimitExceeded', 'User Rate Limit Exceeded', undefined, false, null, false],
    [403, 'rateLimitExceeded', 'Rate Limit Exceeded', undefined, false, null, true],
    [429, 'rateLimitExceeded', 'User-rate limit exceeded', '30', false, 30_000, false],
  ] as const)(
    '%i %s "%s" (Retry-After %s): concurrency %s',
    (status, reason, message, retryAfter, concurrency, ms, project) => {
      const mapped = mapGmailError(refusal(status, reason, message, retryAfter), 'messages.get');
      expect(mapped.code).toBe('RATE_LIMITED');
      expect(isConcurrencyLimit(mapped)).toBe(concurrency);
      expect(isProjectLimit(mapped)).toBe(project);
      expect(mapped.retryAfterMs).toBe(ms);
    },
  );
});
