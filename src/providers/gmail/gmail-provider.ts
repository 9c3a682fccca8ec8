// The Gmail API alone: googleapis's own index loads every Google API it knows, 52 MB of heap and
// 80 MB of RSS in each sync process, where touchbase needs one (README, performance).
import { gmail_v1 } from 'googleapis/build/src/apis/gmail/v1.js';
import { OAuth2Client } from 'googleapis-common';
import { z } from 'zod';
import { backoffDelay, MAX_BACKOFF_MS, sleep, TEMPORARY_RETRIES } from '../../lib/backoff.ts';
import { mapConcurrent } from '../../lib/concurrency.ts';
import { ProviderError } from '../../lib/errors.ts';
import type { ProviderRequestRecorder } from '../../lib/metrics.ts';
import type { QuotaGovernor } from '../../lib/quota-governor.ts';
import type { AccessTokenSource } from '../../oauth/token-manager.ts';
import { WANTED_HEADERS } from '../header-names.ts';
import type {
  AccountProfile,
  BackfillPage,
  BackfillState,
  ChangesPage,
  MailProvider,
  MessageMeta,
  SyncCursor,
} from '../types.ts';
import { type FetchCosts, type ListedRef, planFetch, ReadAhead } from './gmail-fetch-plan.ts';
import { type GmailMethod, type GmailQuota, gmailQuota } from './gmail-quota.ts';
import { InFlightLimit } from './in-flight-limit.ts';
import { isConcurrencyLimit, isProjectLimit, mapGmailError } from './map-gmail-error.ts';
import { isSkippedMessage, toMessageMeta } from './to-message-meta.ts';

const LIST_PAGE_SIZE = 500;
/**
 * Past this, a rate-limited sync gives the job back to the queue's backoff. Without a Retry-After
 * the waits are Google's exponential backoff, as for a 5xx: about 1, 2, 4, 8 and 16 s.
 */
const MAX_RATE_LIMIT_RETRIES = 5;
/** Parallel metadata reads per mailbox (the governor keeps them within the quota). */
const GET_CONCURRENCY = 10;
/**
 * A request refused for concurrency is tried again this many times, after a short wait with
 * jitter that doubles from CROWDED_BASE_MS up to CROWDED_MAX_MS, with fewer requests in flight
 * (see InFlightLimit); past that it is a RATE_LIMITED failure like any other.
 */
const CROWDED_RETRIES = 6;
const CROWDED_BASE_MS = 100;
const CROWDED_MAX_MS = 2_000;
/** Successes in a row before one more request may be in flight again, after a concurrency refusal. */
const RECOVER_AFTER = 50;

const cursorSchema = z.object({ provider: z.literal('gmail'), historyId: z.string().min(1) });
const backfillSchema = z.object({
  provider: z.literal('gmail'),
  /** Epoch seconds: nothing older is fetched. */
  after: z.number().int(),
  pageToken: z.string().nullable(),
  listed: z.number().int().default(0),
  /** Ids read ahead through a thread fetch that later pages will list (see ReadAhead). */
  readAhead: z.array(z.string()).default([]),
  /**
   * A listing's resultSizeEstimate was handed over as the backfill's total. A state stored before
   * this existed hands over its next page's.
   */
  estimated: z.boolean().default(false),
  /**
   * The next page's listing, taken with this page's to plan it (planFetch's `later`) and used
   * when that page comes, so a page is listed once: its token, its [id, threadId] entries and the
   * token after it. Null where it was not taken (a state stored before this existed, the last
   * page, or a listing ahead that failed): that page lists itself.
   */
  ahead: z
    .object({
      pageToken: z.string(),
      refs: z.array(z.tuple([z.string(), z.string().nullable()])),
      next: z.string().nullable(),
    })
    .nullable()
    .default(null),
});

/** One messages.list page: its entries, the token of the page after it, Google's estimate. */
interface Listing {
  refs: ListedRef[];
  next: string | null;
  estimate?: number;
}

export interface GmailProviderOptions {
  apiUrl: string;
  tokens: AccessTokenSource;
  /** The mailbox's shared budget; every request spends its method's units first. */
  governor?: QuotaGovernor;
  quota?: GmailQuota;
  /** gmail.metadata: no `q` searches, no bodies. */
  metadataOnly?: boolean;
  /** Counts every request by method and outcome (/metrics). */
  onRequest?: ProviderRequestRecorder;
  /**
   * First wait after a 5xx, a timeout or a quota refusal without Retry-After; it doubles (with
   * jitter) for a few tries. Default 1 s.
   */
  retryBaseMs?: number;
  /** A request unanswered this long is abandoned and tried again like a 5xx. Default 30 s. */
  requestTimeoutMs?: number;
}

/** The Gmail API through the real googleapis client, pointed at GMAIL_API_URL. */
export function createGmailProvider(options: GmailProviderOptions): MailProvider {
  const auth = new OAuth2Client();
  // A request that hangs is a timeout (TEMPORARY, retried with backoff), never a stuck chunk.
  const gmail = new gmail_v1.Gmail({
    rootUrl: options.apiUrl,
    auth,
    retry: false,
    timeout: options.requestTimeoutMs ?? 30_000,
  });

  const quota = options.quota ?? gmailQuota('legacy');
  const retryBaseMs = options.retryBaseMs ?? 1000;
  const inFlight = new InFlightLimit(GET_CONCURRENCY, RECOVER_AFTER);
  /**
   * Runs one API call within the mailbox's quota and in-flight limit with a fresh token. A 401
   * refreshes once and tries again. A refusal for concurrency ("Too many concurrent requests for
   * user") halves the requests in flight and tries again after a short wait. A quota refusal (or
   * any refusal with a Retry-After) pauses every process on this mailbox through the governor's
   * penalty box for its Retry-After, or without one for a bounded exponential backoff with jitter,
   * and tries again, a few times. A 5xx or a timeout is tried again after a bounded exponential
   * backoff with jitter (or its Retry-After, up to the same bound). Past those tries the job fails
   * and the queue's own backoff takes over, waiting at least the last Retry-After.
   */
  const call = async <T>(what: GmailMethod, fn: () => Promise<T>): Promise<T> => {
    let token = await options.tokens.getAccessToken();
    let refreshed = false;
    for (let limited = 0, crowded = 0, failed = 0; ; ) {
      const generation = await inFlight.acquire();
      let outcome: { ok: true; value: T } | { ok: false; error: unknown };
      try {
        await options.governor?.take(quota.cost[what]);
        auth.setCredentials({ access_token: token });
        try {
          outcome = { ok: true, value: await fn() };
        } catch (error) {
          outcome = { ok: false, error };
        }
      } finally {
        inFlight.release();
      }
      if (outcome.ok) {
        inFlight.succeeded();
        options.onRequest?.(what, 'ok');
        return outcome.value;
      }
      const { error } = outcome;
      const mapped = mapGmailError(error, what);
      options.onRequest?.(what, mapped.code === 'RATE_LIMITED' ? 'rate_limited' : 'error');
      if (mapped.code === 'AUTH_REVOKED' && !refreshed && isHttp401(error)) {
        refreshed = true;
        token = await options.tokens.getAccessToken(token);
        continue;
      }
      if (mapped.code === 'RATE_LIMITED') {
        const concurrency = isConcurrencyLimit(mapped);
        // The project's quota pauses every mailbox of this deployment, the user's only this one.
        const scope = isProjectLimit(mapped) ? 'shared' : 'mailbox';
        if (concurrency) inFlight.crowded(generation);
        if (concurrency && mapped.retryAfterMs === null) {
          // Nothing was spent too fast: only this request waits, briefly, for a slot upstream.
          if (crowded < CROWDED_RETRIES) {
            await sleep(backoffDelay(crowded++, CROWDED_BASE_MS, CROWDED_MAX_MS));
            continue;
          }
        } else if (limited < MAX_RATE_LIMIT_RETRIES) {
          const pauseMs = mapped.retryAfterMs ?? backoffDelay(limited, retryBaseMs, MAX_BACKOFF_MS);
          limited++;
          // Without a governor (no Redis) only this request can wait.
          await (options.governor ? options.governor.penalize(pauseMs, scope) : sleep(pauseMs));
          continue;
        } else if (mapped.retryAfterMs !== null) {
          // Out of tries, the job gives up; Google's Retry-After still holds for the whole mailbox.
          await options.governor?.penalize(mapped.retryAfterMs, scope);
        }
      }
      if (mapped.code === 'TEMPORARY' && failed < TEMPORARY_RETRIES) {
        // A 503's Retry-After, when longer than the backoff, is Google's own word on when.
        const backoff = backoffDelay(failed++, retryBaseMs, MAX_BACKOFF_MS);
        await sleep(Math.min(Math.max(backoff, mapped.retryAfterMs ?? 0), MAX_BACKOFF_MS));
        continue;
      }
      throw mapped;
    }
  };

  const costs: FetchCosts = { message: quota.cost['messages.get'], thread: quota.cost['threads.get'] };
  /** Reads the headers of the listed messages the cheapest way (see planFetch). */
  const readPlanned = async (
    refs: readonly ListedRef[],
    alreadyRead?: { has(id: string): boolean },
    later?: readonly ListedRef[],
  ): Promise<gmail_v1.Schema$Message[]> => {
    const plan = planFetch(refs, costs, alreadyRead, later);
    const reads = [
      ...plan.threads.map((id) => ({ kind: 'thread' as const, id })),
      ...plan.messages.map((id) => ({ kind: 'message' as const, id })),
    ];
    // As many workers as the limit can grow to; InFlightLimit holds back the ones over it.
    const results = await mapConcurrent(reads, GET_CONCURRENCY, async ({ kind, id }) => {
      try {
        if (kind === 'thread') {
          const res = await call('threads.get', () =>
            gmail.users.threads.get({
              userId: 'me',
              id,
              format: 'metadata',
              metadataHeaders: [...WANTED_HEADERS],
            }),
          );
          return res.data.messages ?? [];
        }
        const res = await call('messages.get', () =>
          gmail.users.messages.get({
            userId: 'me',
            id,
            format: 'metadata',
            metadataHeaders: [...WANTED_HEADERS],
          }),
        );
        return [res.data];
      } catch (error) {
        // Deleted between listing and fetching: nothing to record.
        if (error instanceof ProviderError && error.code === 'NOT_FOUND') return [];
        throw error;
      }
    });
    return results.flat();
  };

  const metadataOnly = options.metadataOnly ?? false;
  return {
    name: 'gmail',
    canReadBodies: !metadataOnly,
    chunkedBy: 'pages-and-time',

    async getProfile(): Promise<AccountProfile> {
      const profile = await call('getProfile', () => gmail.users.getProfile({ userId: 'me' }));
      const email = profile.data.emailAddress?.toLowerCase();
      if (!email) throw new ProviderError('UNKNOWN', 'Gmail getProfile answered without an address');
      const aliases = await call('settings.sendAs.list', () =>
        gmail.users.settings.sendAs.list({ userId: 'me' }),
      )
        .then((res) => (res.data.sendAs ?? []).map((s) => s.sendAsEmail?.toLowerCase() ?? '').filter(Boolean))
        .catch((error: unknown) => {
          // Aliases are a refinement; a mailbox without the settings scope still syncs.
          if (error instanceof ProviderError && error.code === 'INSUFFICIENT_SCOPE') return [];
          throw error;
        });
      return { email, aliases: aliases.filter((a) => a !== email) };
    },

    async beginBackfill(since) {
      // Snapshot the cursor before listing, so mail arriving during the backfill is caught up later.
      const profile = await call('getProfile', () => gmail.users.getProfile({ userId: 'me' }));
      if (!profile.data.historyId)
        throw new ProviderError('UNKNOWN', 'Gmail getProfile answered without a historyId');
      const cursor: SyncCursor = { provider: 'gmail', historyId: profile.data.historyId };
      const state: BackfillState = {
        provider: 'gmail',
        after: Math.floor(since.getTime() / 1000),
        pageToken: null,
        listed: 0,
        readAhead: [],
        ahead: null,
        estimated: false,
      };
      // The whole mailbox's size: an upper bound until the first listing page tells how many
      // messages the backfill's query (BACKFILL_DAYS) matches; see backfillPage.
      return { state, cursor, total: profile.data.messagesTotal ?? null };
    },

    async backfillPage(raw): Promise<BackfillPage> {
      const state = backfillSchema.parse(raw);
      const list = async (pageToken: string | null): Promise<Listing> => {
        const res = await call('messages.list', () =>
          gmail.users.messages.list({
            userId: 'me',
            maxResults: LIST_PAGE_SIZE,
            // The metadata scope refuses `q`: list everything, newest first, and stop by date below.
            ...(metadataOnly ? {} : { q: `after:${state.after}` }),
            ...(pageToken ? { pageToken } : {}),
          }),
        );
        return {
          refs: (res.data.messages ?? []).flatMap((m) =>
            m.id ? [{ id: m.id, threadId: m.threadId ?? null }] : [],
          ),
          next: res.data.nextPageToken ?? null,
          estimate: res.data.resultSizeEstimate ?? undefined,
        };
      };
      const saved = state.ahead;
      const page: Listing =
        saved && saved.pageToken === state.pageToken
          ? { refs: saved.refs.map(([id, threadId]) => ({ id, threadId })), next: saved.next }
          : await list(state.pageToken);
      // The next page's listing (5 units), so a thread at the foot of this page is planned with
      // its messages there. Only a plan depends on it: if it cannot be had, this page is read
      // planned alone and the next page lists itself.
      const ahead = page.next
        ? await list(page.next).catch((error: unknown) => {
            if (error instanceof ProviderError && error.code === 'TEMPORARY') return null;
            throw error;
          })
        : null;
      const { refs } = page;
      const readAhead = new ReadAhead(state.readAhead);
      const raws = await readPlanned(refs, readAhead, ahead?.refs);
      for (const ref of refs) readAhead.delete(ref.id);
      const { messages, reachedOlder } = keepBackfilled(raws, refs, state.after * 1000, readAhead);
      const next = metadataOnly && reachedOlder ? null : page.next;
      const listed = state.listed + refs.length;
      // Google's estimate of the whole query's results comes free with every page; the first
      // page's is taken once, so the total does not wander with each page's. Without `q`
      // (gmail.metadata) it is the whole mailbox's, less spam and trash: still a bound.
      const estimate = page.estimate ?? ahead?.estimate;
      const total = !state.estimated && typeof estimate === 'number' ? estimate : undefined;
      return {
        messages,
        state: {
          ...state,
          pageToken: next,
          listed,
          readAhead: readAhead.toJSON(),
          estimated: state.estimated || total !== undefined,
          ahead:
            next !== null && ahead
              ? { pageToken: next, refs: ahead.refs.map((r) => [r.id, r.threadId]), next: ahead.next }
              : null,
        },
        listed,
        done: next === null,
        total,
      };
    },

    async changes(raw): Promise<ChangesPage> {
      const cursor = cursorSchema.extend({ pageToken: z.string().optional() }).parse(raw);
      let res: { data: gmail_v1.Schema$ListHistoryResponse };
      try {
        res = await call('history.list', () =>
          gmail.users.history.list({
            userId: 'me',
            startHistoryId: cursor.historyId,
            maxResults: LIST_PAGE_SIZE,
            historyTypes: ['messageAdded', 'messageDeleted'],
            ...(cursor.pageToken ? { pageToken: cursor.pageToken } : {}),
          }),
        );
      } catch (error) {
        // Google keeps history for a limited time: an old historyId is a 404 and needs a full resync.
        if (error instanceof ProviderError && error.code === 'NOT_FOUND') {
          throw new ProviderError('CURSOR_INVALID', 'Gmail history for the stored cursor has expired', {
            cause: error,
          });
        }
        throw error;
      }
      const added = new Map<string, string | null>();
      const deleted = new Set<string>();
      for (const record of res.data.history ?? []) {
        for (const { message } of record.messagesAdded ?? []) {
          if (message?.id && !isSkippedMessage(message.labelIds))
            added.set(message.id, message.threadId ?? null);
        }
        for (const { message } of record.messagesDeleted ?? []) {
          if (message?.id) deleted.add(message.id);
        }
      }
      for (const id of deleted) added.delete(id);
      const raws = await readPlanned([...added].map(([id, threadId]) => ({ id, threadId })));
      // A thread read brings its older messages too: keep only the ones history reported.
      const messages = raws.flatMap((m) => {
        if (!m.id || !added.has(m.id) || isSkippedMessage(m.labelIds)) return [];
        added.delete(m.id);
        const meta = toMessageMeta(m);
        return meta ? [meta] : [];
      });
      const next = res.data.nextPageToken;
      const nextCursor: SyncCursor = next
        ? { provider: 'gmail', historyId: cursor.historyId, pageToken: next }
        : { provider: 'gmail', historyId: res.data.historyId ?? cursor.historyId };
      return { messages, deletedIds: [...deleted], cursor: nextCursor, more: Boolean(next) };
    },

    async hasMessageId(internetMessageId) {
      // Searching needs `q`, which the metadata scope refuses: unknown counts as not there.
      if (metadataOnly) return false;
      const res = await call('messages.list', () =>
        gmail.users.messages.list({ userId: 'me', q: `rfc822msgid:${internetMessageId}`, maxResults: 1 }),
      );
      return (res.data.messages ?? []).length > 0;
    },

    async fetchReplyText(providerId) {
      const res = await call('messages.get', () =>
        gmail.users.messages.get({ userId: 'me', id: providerId, format: 'full' }),
      );
      return findPlainText(res.data.payload) ?? '';
    },
  };
}

/**
 * The messages of one backfill page to store: the listed ones within the window, and the other
 * messages of threads read whole that later pages will list (remembered in `readAhead`, so
 * those pages skip them). `reachedOlder`: a listed message is older than the window.
 */
function keepBackfilled(
  raws: readonly gmail_v1.Schema$Message[],
  refs: readonly ListedRef[],
  afterMs: number,
  readAhead: ReadAhead,
): { messages: MessageMeta[]; reachedOlder: boolean } {
  const listed = new Set(refs.map((r) => r.id));
  let oldestListed = Number.POSITIVE_INFINITY;
  for (const m of raws) {
    if (m.id && listed.has(m.id)) oldestListed = Math.min(oldestListed, Number(m.internalDate));
  }
  const messages: MessageMeta[] = [];
  const seen = new Set<string>();
  let reachedOlder = false;
  for (const m of raws) {
    if (!m.id || seen.has(m.id)) continue;
    seen.add(m.id);
    const at = Number(m.internalDate);
    if (listed.has(m.id)) {
      if (at < afterMs) {
        reachedOlder = true;
        continue;
      }
    } else {
      // Spam and trash are never listed; older than the window, never wanted.
      if (at < afterMs || isSpamOrTrash(m.labelIds)) continue;
      if (at <= oldestListed) readAhead.add(m.id);
    }
    if (isSkippedMessage(m.labelIds)) continue;
    const meta = toMessageMeta(m);
    if (meta) messages.push(meta);
  }
  return { messages, reachedOlder };
}

function isSpamOrTrash(labels: readonly string[] | null | undefined): boolean {
  return (labels ?? []).some((l) => l === 'SPAM' || l === 'TRASH');
}

function findPlainText(part: gmail_v1.Schema$MessagePart | undefined): string | null {
  if (!part) return null;
  if (part.mimeType === 'text/plain' && part.body?.data) {
    return Buffer.from(part.body.data, 'base64url').toString('utf8');
  }
  for (const child of part.parts ?? []) {
    const text = findPlainText(child);
    if (text !== null) return text;
  }
  return null;
}

function isHttp401(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { status?: number }).status === 401;
}
