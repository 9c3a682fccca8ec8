import { Client, type GraphRequest, RetryHandlerOptions } from '@microsoft/microsoft-graph-client';
import { backoffDelay, MAX_BACKOFF_MS, sleep, TEMPORARY_RETRIES } from '../../lib/backoff.ts';
import type { ConcurrencyLease } from '../../lib/concurrency-lease.ts';
import { ProviderError } from '../../lib/errors.ts';
import type { ProviderRequestRecorder } from '../../lib/metrics.ts';
import type { QuotaGovernor } from '../../lib/quota-governor.ts';
import type { AccessTokenSource } from '../../oauth/token-manager.ts';
import { mapOutlookError } from './map-outlook-error.ts';

/** Past this many 429s in a row, the job goes back to the queue's backoff instead. */
const MAX_RATE_LIMIT_RETRIES = 8;
/** Graph's throttling window when a 429 carries no Retry-After. */
const DEFAULT_RETRY_AFTER_MS = 30_000;

export interface GraphCallOptions {
  graphUrl: string;
  tokens: AccessTokenSource;
  /** The mailbox's request budget (10,000 per 10 minutes), shared by every process. */
  governor?: QuotaGovernor | undefined;
  /** Graph's 4-concurrent-requests limit per mailbox, shared by every process. */
  lease?: ConcurrencyLease | undefined;
  /** Told of every 429 (the bench counts them). */
  onThrottled?: (() => void) | undefined;
  /** Counts every request by method and outcome (/metrics). */
  onRequest?: ProviderRequestRecorder | undefined;
  /** A request unanswered this long (its whole answer read) is abandoned and tried again. Default 30 s. */
  requestTimeoutMs?: number | undefined;
  /** First wait after a 5xx, a dropped connection or a timeout; it doubles, with jitter. Default 1 s. */
  retryBaseMs?: number | undefined;
}

/**
 * Runs one Graph request, built on a client that carries the given token: a GET, or a POST of
 * `post` (a $batch). `units` is what Graph's throttling counts (each request of a batch).
 */
export type GraphCall = <T>(
  what: string,
  build: (client: Client) => GraphRequest,
  options?: { post?: unknown; units?: number },
) => Promise<T>;

/**
 * Graph requests through the real SDK, within the mailbox's budget and concurrency limit, with a
 * fresh token. A 401 refreshes once and tries again; a 429 puts every process on this mailbox in
 * the penalty box for its Retry-After, then tries again. The SDK's own retry handler is switched
 * off: it would sleep inside one process while the others kept spending.
 */
export function createGraphCall(options: GraphCallOptions): GraphCall {
  const baseUrl = options.graphUrl.endsWith('/') ? options.graphUrl : `${options.graphUrl}/`;
  const customHosts = new Set([new URL(baseUrl).hostname]);
  const noRetry = new RetryHandlerOptions(0, 0);
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const clientFor = (token: string) =>
    Client.init({
      baseUrl,
      defaultVersion: 'v1.0',
      // Without its host here the SDK sends no bearer token to a non-Graph host (a sovereign
      // cloud, the test fake).
      customHosts,
      authProvider: (done) => done(null, token),
    });

  return async <T>(
    what: string,
    build: (client: Client) => GraphRequest,
    callOptions: { post?: unknown; units?: number } = {},
  ): Promise<T> => {
    let token = await options.tokens.getAccessToken();
    let refreshed = false;
    for (let limited = 0, failed = 0; ; ) {
      const release = await admit(options, callOptions.units ?? 1);
      // Each try its own deadline, the answer's body included: a request that hangs (a lost
      // packet, a stuck backend) is a timeout, never a chain of pages stuck for good.
      const signal = AbortSignal.timeout(timeoutMs);
      let mapped: ProviderError;
      try {
        const request = build(clientFor(token)).middlewareOptions([noRetry]).option('signal', signal);
        const result = (await ('post' in callOptions ? request.post(callOptions.post) : request.get())) as T;
        options.onRequest?.(what, 'ok');
        return result;
      } catch (error) {
        mapped = signal.aborted
          ? new ProviderError('TEMPORARY', `Outlook ${what}: no answer within ${timeoutMs / 1000} s`, {
              cause: error,
            })
          : mapOutlookError(error, what);
        options.onRequest?.(what, mapped.code === 'RATE_LIMITED' ? 'rate_limited' : 'error');
      } finally {
        // Not awaited: the answer goes on at once. A folder's next page, asked for in this same
        // turn, takes the slot over (ConcurrencyLease); a release that fails leaves it to expire.
        release?.().catch(() => {});
      }
      if (mapped.code === 'AUTH_REVOKED' && !refreshed) {
        refreshed = true;
        token = await options.tokens.getAccessToken(token);
        continue;
      }
      // A dropped connection (a keep-alive socket the server closed while the store was busy), a
      // request with no answer in time, or a 5xx: every request here only reads, so trying again
      // is safe, as for Gmail.
      if (mapped.code === 'TEMPORARY' && failed < TEMPORARY_RETRIES) {
        // A 503's Retry-After, when longer than the backoff, is Graph's own word on when.
        const backoff = backoffDelay(failed++, options.retryBaseMs ?? 1000, MAX_BACKOFF_MS);
        await sleep(Math.min(Math.max(backoff, mapped.retryAfterMs ?? 0), MAX_BACKOFF_MS));
        continue;
      }
      if (mapped.code === 'RATE_LIMITED') {
        options.onThrottled?.();
        if (options.governor && limited < MAX_RATE_LIMIT_RETRIES) {
          limited++;
          await options.governor.penalize(mapped.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS);
          continue;
        }
      }
      throw mapped;
    }
  };
}

/**
 * The mailbox's budget and one of its concurrency slots, asked for at once: at most one Redis
 * round trip before a request instead of two, on the path of every folder's chain of pages (where
 * each round trip waits its turn behind the pages being stored); none at all when the chain's
 * unit was spent ahead (the governor's `ahead`) and its slot is taken over from the page before.
 * A slot may be held while the budget makes the request wait; Graph counts only requests in
 * flight, so that only ever errs on the safe side.
 */
async function admit(
  options: Pick<GraphCallOptions, 'governor' | 'lease'>,
  units: number,
): Promise<(() => Promise<void>) | undefined> {
  const [spent, slot] = await Promise.allSettled([options.governor?.take(units), options.lease?.acquire()]);
  if (spent.status === 'rejected') {
    if (slot.status === 'fulfilled') slot.value?.().catch(() => {});
    throw spent.reason;
  }
  if (slot.status === 'rejected') throw slot.reason;
  return slot.value;
}
