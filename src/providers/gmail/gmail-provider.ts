import { type gmail_v1, google } from 'googleapis';
import { z } from 'zod';
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
import { type GmailMethod, type GmailQuota, gmailQuota } from './gmail-quota.ts';
import { mapGmailError } from './map-gmail-error.ts';
import { isSkippedMessage, toMessageMeta } from './to-message-meta.ts';

const LIST_PAGE_SIZE = 500;
/** Past this, a rate-limited sync gives the job back to the queue's backoff. */
const MAX_RATE_LIMIT_RETRIES = 3;
/** Parallel metadata gets per mailbox; the quota issue replaces this with a Redis governor. */
const GET_CONCURRENCY = 10;

const cursorSchema = z.object({ provider: z.literal('gmail'), historyId: z.string().min(1) });
const backfillSchema = z.object({
  provider: z.literal('gmail'),
  /** Epoch seconds: nothing older is fetched. */
  after: z.number().int(),
  pageToken: z.string().nullable(),
  listed: z.number().int().default(0),
});

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
}

/** The Gmail API through the real googleapis client, pointed at GMAIL_API_URL. */
export function createGmailProvider(options: GmailProviderOptions): MailProvider {
  const auth = new google.auth.OAuth2();
  const gmail = google.gmail({ version: 'v1', rootUrl: options.apiUrl, auth, retry: false });

  const quota = options.quota ?? gmailQuota('legacy');
  /**
   * Runs one API call within the mailbox's quota with a fresh token. A 401 refreshes once and
   * tries again; a rate-limit answer puts every process on this mailbox in the penalty box for
   * its Retry-After (or a minute, Gmail's quota window) and tries again, a few times.
   */
  const call = async <T>(what: GmailMethod, fn: () => Promise<T>): Promise<T> => {
    let token = await options.tokens.getAccessToken();
    let refreshed = false;
    for (let limited = 0; ; ) {
      await options.governor?.take(quota.cost[what]);
      auth.setCredentials({ access_token: token });
      try {
        const result = await fn();
        options.onRequest?.(what, 'ok');
        return result;
      } catch (error) {
        const mapped = mapGmailError(error, what);
        options.onRequest?.(what, mapped.code === 'RATE_LIMITED' ? 'rate_limited' : 'error');
        if (mapped.code === 'AUTH_REVOKED' && !refreshed && isHttp401(error)) {
          refreshed = true;
          token = await options.tokens.getAccessToken(token);
          continue;
        }
        if (mapped.code === 'RATE_LIMITED' && options.governor && limited < MAX_RATE_LIMIT_RETRIES) {
          limited++;
          await options.governor.penalize(mapped.retryAfterMs ?? 60_000);
          continue;
        }
        throw mapped;
      }
    }
  };

  const getMessages = async (ids: readonly string[]): Promise<MessageMeta[]> => {
    const metas = await mapConcurrent(ids, GET_CONCURRENCY, async (id) => {
      try {
        const res = await call('messages.get', () =>
          gmail.users.messages.get({
            userId: 'me',
            id,
            format: 'metadata',
            metadataHeaders: [...WANTED_HEADERS],
          }),
        );
        return isSkippedMessage(res.data.labelIds) ? null : toMessageMeta(res.data);
      } catch (error) {
        // Deleted between listing and fetching: nothing to record.
        if (error instanceof ProviderError && error.code === 'NOT_FOUND') return null;
        throw error;
      }
    });
    return metas.filter((m): m is MessageMeta => m !== null);
  };

  const metadataOnly = options.metadataOnly ?? false;
  return {
    name: 'gmail',
    canReadBodies: !metadataOnly,

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
      };
      // The whole mailbox's size: an upper bound for the progress of a backfill of BACKFILL_DAYS.
      return { state, cursor, total: profile.data.messagesTotal ?? null };
    },

    async backfillPage(raw): Promise<BackfillPage> {
      const state = backfillSchema.parse(raw);
      const list = await call('messages.list', () =>
        gmail.users.messages.list({
          userId: 'me',
          maxResults: LIST_PAGE_SIZE,
          // The metadata scope refuses `q`: list everything, newest first, and stop by date below.
          ...(metadataOnly ? {} : { q: `after:${state.after}` }),
          ...(state.pageToken ? { pageToken: state.pageToken } : {}),
        }),
      );
      const ids = (list.data.messages ?? []).map((m) => m.id).filter((id): id is string => Boolean(id));
      const fetched = await getMessages(ids);
      const messages = fetched.filter((m) => m.at.getTime() >= state.after * 1000);
      const reachedOlder = metadataOnly && messages.length < fetched.length;
      const next = reachedOlder ? null : (list.data.nextPageToken ?? null);
      return {
        messages,
        state: { ...state, pageToken: next, listed: state.listed + ids.length },
        listed: state.listed + ids.length,
        done: next === null,
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
      const added = new Set<string>();
      const deleted = new Set<string>();
      for (const record of res.data.history ?? []) {
        for (const { message } of record.messagesAdded ?? []) {
          if (message?.id && !isSkippedMessage(message.labelIds)) added.add(message.id);
        }
        for (const { message } of record.messagesDeleted ?? []) {
          if (message?.id) deleted.add(message.id);
        }
      }
      for (const id of deleted) added.delete(id);
      const messages = await getMessages([...added]);
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
