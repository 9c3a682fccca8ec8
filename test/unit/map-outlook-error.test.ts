import { readFileSync } from 'node:fs';
import { GraphErrorHandler } from '@microsoft/microsoft-graph-client/lib/src/GraphErrorHandler.js';
import { describe, expect, it } from 'vitest';
import { mapOutlookError } from '../../src/providers/outlook/map-outlook-error.ts';

interface Recorded {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** A recorded Graph error answer, turned into the GraphError the SDK throws for it. */
async function graphError(file: string) {
  const recorded = JSON.parse(
    readFileSync(new URL(`../fixtures/graph-errors/${file}`, import.meta.url), 'utf8'),
  ) as Recorded;
  const response = new Response(JSON.stringify(recorded.body), {
    status: recorded.status,
    headers: recorded.headers,
  });
  return GraphErrorHandler.getError(recorded.body, recorded.status, undefined, response);
}

describe('mapOutlookError on recorded Graph answers', () => {
  it.each([
    ['401-invalid-token.json', 'AUTH_REVOKED', null],
    ['403-access-denied.json', 'INSUFFICIENT_SCOPE', null],
    ['404-item-not-found.json', 'NOT_FOUND', null],
    ['410-sync-state-not-found.json', 'CURSOR_INVALID', null],
    ['400-resync-required.json', 'CURSOR_INVALID', null],
    ['429-application-throttled.json', 'RATE_LIMITED', 17_000],
    ['503-service-unavailable.json', 'TEMPORARY', 5_000],
    ['504-gateway-timeout.json', 'TEMPORARY', null],
    ['400-invalid-filter.json', 'UNKNOWN', null],
  ])('%s -> %s', async (file, code, retryAfterMs) => {
    const mapped = mapOutlookError(await graphError(file), 'messages.delta');
    expect(mapped.code).toBe(code);
    expect(mapped.retryAfterMs).toBe(retryAfterMs);
    expect(mapped.message).toMatch(/^Outlook messages\.delta: /);
  });

  it('a network failure (the SDK says statusCode -1) is temporary', async () => {
    const error = await GraphErrorHandler.getError(new TypeError('fetch failed'));
    expect(mapOutlookError(error, 'me').code).toBe('TEMPORARY');
  });

  it('anything else thrown is temporary, and says what failed', () => {
    const mapped = mapOutlookError(new Error('socket hang up'), 'mailFolders.list');
    expect(mapped.code).toBe('TEMPORARY');
    expect(mapped.message).toMatch(/mailFolders\.list.*socket hang up/);
  });
});
