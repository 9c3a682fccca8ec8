import { z } from 'zod';
import type { ConcurrencyLease } from '../../lib/concurrency-lease.ts';
import { ProviderError } from '../../lib/errors.ts';
import type { ProviderRequestRecorder } from '../../lib/metrics.ts';
import type { QuotaGovernor } from '../../lib/quota-governor.ts';
import type { ReadAhead } from '../../lib/read-ahead.ts';
import type { AccessTokenSource } from '../../oauth/token-manager.ts';
import type {
  AccountProfile,
  BackfillPage,
  BackfillState,
  ChangesPage,
  MailProvider,
  MessageMeta,
  SyncCursor,
} from '../types.ts';
import { DeltaPump, type FolderCursor, type FolderPage } from './delta-pump.ts';
import { createGraphCall, type GraphCall } from './graph-call.ts';
import { discoverFolders } from './outlook-folders.ts';
import { type GraphMessage, HEADERS_FIELD, MESSAGE_SELECT, toMessageMeta } from './to-message-meta.ts';

/** Graph's four concurrent requests per mailbox: four folders' delta chains at once. */
export const OUTLOOK_CONCURRENCY = 4;
/** The largest page Graph serves for messages (default 10). */
const MAX_PAGE_SIZE = 1000;
/** Pages handed to the store at once: about a Gmail page's worth of rows per statement. */
const PAGES_PER_BATCH = 2;

const folderSchema = z.object({
  id: z.string(),
  label: z.string(),
  sent: z.boolean(),
  link: z.string().nullable(),
  inRound: z.boolean(),
});
/** Backfill state and cursor alike: every folder's place in its delta, and the backfill's start. */
const stateSchema = z.object({
  provider: z.literal('outlook'),
  since: z.string(),
  known: z.record(z.string(), z.string()),
  folders: z.array(folderSchema),
  listed: z.number().int().default(0),
});
type DeltaState = z.infer<typeof stateSchema>;

export interface OutlookProviderOptions {
  graphUrl: string;
  tokens: AccessTokenSource;
  governor?: QuotaGovernor | undefined;
  lease?: ConcurrencyLease | undefined;
  /** Mail.ReadBasic: headers only, no bodies. */
  basicOnly?: boolean;
  onThrottled?: () => void;
  onRequest?: ProviderRequestRecorder | undefined;
  /** Where a backfill chunk leaves its longest chain's next page in flight for the next chunk. */
  readAhead?: { store: ReadAhead; key: string } | undefined;
  /** A request unanswered this long is abandoned and tried again (PROVIDER_TIMEOUT_SECONDS). */
  requestTimeoutMs?: number | undefined;
  /** First wait of the retry after a 5xx or a timeout (PROVIDER_RETRY_BASE_MS). */
  retryBaseMs?: number | undefined;
}

/**
 * Outlook / Microsoft 365 through the real Microsoft Graph client, pointed at GRAPH_API_URL. Mail
 * comes from per-folder message delta: one request per page of up to 1,000 messages, only the
 * header fields inference needs, folders in parallel within the mailbox's concurrency limit.
 * The backfill is each folder's first delta round (filtered to BACKFILL_DAYS); its deltaLinks are
 * the incremental cursor.
 */
export function createOutlookProvider(options: OutlookProviderOptions): MailProvider {
  const call = createGraphCall(options);
  const basicOnly = options.basicOnly ?? false;
  let backfill: { pump: DeltaPump<MessageMeta>; state: BackfillState } | null = null;
  let changes: { pump: DeltaPump<MessageMeta>; cursor: SyncCursor; phase: 'others' | 'sent' } | null = null;
  /**
   * The cursor a backfill just ended with: its deltaLinks are seconds old, so the catch-up round
   * the sync runs next would only spend a request per folder. Mail that arrived meanwhile comes
   * with the next scheduled sync.
   */
  let justBackfilled: string | null = null;
  const select = (basicOnly ? MESSAGE_SELECT : [...MESSAGE_SELECT, HEADERS_FIELD]).join(',');

  const fetchPage = (state: DeltaState, folder: FolderCursor, link: string | null) =>
    fetchFolderPage(call, folder, link, { since: state.since, select });
  const readAhead = options.readAhead;
  /** The exact request a parked answer is for: this account, this round, this folder and link. */
  const parkedKey = (state: DeltaState, folderId: string, link: string | null) =>
    ['outlook', readAhead?.key, state.since, folderId, link ?? ''].join(' ');
  const pumpFor = (state: DeltaState, work: FolderCursor[], handedOver = false) =>
    new DeltaPump<MessageMeta>(
      (folder, link) => {
        const parked = handedOver ? readAhead?.store.take(parkedKey(state, folder.id, link)) : undefined;
        if (!parked) return fetchPage(state, folder, link);
        // The page the last chunk asked for (its own failure is not ours: ask again).
        return (parked as Promise<FolderPage<MessageMeta>>).catch(() => fetchPage(state, folder, link));
      },
      work,
      OUTLOOK_CONCURRENCY,
    );
  /**
   * A chunk ends: its longest chain of pages (the biggest folder still being read, first in the
   * state's order) asks for its next page the moment its last page is in, rather than when the
   * next chunk starts, so the chunk boundary costs that chain no round trip. The next chunk, run
   * by this process, takes the answer; one run elsewhere asks again (one request spent).
   */
  const parkerFor = (state: DeltaState) => {
    const longest = state.folders.find(isUnread);
    if (!readAhead || !longest) return undefined;
    return (folder: FolderCursor, last: FolderPage<MessageMeta>) => {
      if (folder.id !== longest.id) return;
      readAhead.store.park(parkedKey(state, folder.id, last.link), fetchPage(state, folder, last.link));
    };
  };

  return {
    name: 'outlook',
    canReadBodies: !basicOnly,
    // Each folder's pages are chained, and a chunk's end holds them back: on the benchmark's
    // mailbox, chunks of 10 pages (3 s each) made the backfill 2 s longer than one chunk.
    chunkedBy: 'time',

    async getProfile(): Promise<AccountProfile> {
      return readProfile(call);
    },

    async beginBackfill(since) {
      const { known, folders: listed } = await discoverFolders(call);
      // An empty folder costs no request now; a later sync starts it once it holds mail.
      // Biggest first: each folder's pages can only be read one after the other, so the longest
      // chain must start at once for the backfill to take no longer than it.
      const folders = listed
        .filter((f) => f.total > 0)
        .sort((a, b) => b.total - a.total)
        .map((f) => ({ id: f.id, label: f.label, sent: f.sent, link: null, inRound: false }));
      const base = { provider: 'outlook' as const, since: since.toISOString(), known };
      const state: BackfillState = { ...base, folders, listed: 0 };
      // Replaced by the folders' deltaLinks when the backfill ends (BackfillPage.cursor).
      const cursor: SyncCursor = { ...base, folders: [], listed: 0 };
      return { state, cursor, total: listed.reduce((sum, f) => sum + f.total, 0) };
    },

    async backfillPage(raw, options = {}): Promise<BackfillPage> {
      const state = stateSchema.parse(raw);
      if (backfill?.state !== raw) {
        backfill = null;
        const work = state.folders.filter(isUnread);
        backfill = { pump: pumpFor(state, work, true), state: raw };
      }
      // The chunk's last page takes everything read ahead: nothing fetched is fetched again.
      const pages = options.last
        ? await backfill.pump.drain(parkerFor(state))
        : await backfill.pump.take(PAGES_PER_BATCH);
      const next = applyPages(state, pages);
      const done = !next.state.folders.some(isUnread);
      const nextState: BackfillState = { ...next.state };
      backfill = done || options.last ? null : { pump: backfill.pump, state: nextState };
      if (!done) return { messages: next.messages, listed: next.state.listed, state: nextState, done };
      const cursor: SyncCursor = { ...next.state, listed: 0 };
      justBackfilled = signature(next.state);
      return { messages: next.messages, listed: next.state.listed, state: nextState, done, cursor };
    },

    async changes(raw): Promise<ChangesPage> {
      let cursor = stateSchema.parse(raw);
      if (justBackfilled !== null && signature(cursor) === justBackfilled) {
        justBackfilled = null;
        return { messages: [], deletedIds: [], cursor: raw, more: false };
      }
      // Sent Items last: a reply to the digest is tied to it through the digest's copy in the
      // inbox (same conversation), which must be stored first.
      if (changes?.cursor !== raw) {
        changes = null;
        cursor = await refreshFolders(call, cursor);
        const others = cursor.folders.filter((f) => !f.sent);
        changes = { pump: pumpFor(cursor, others), cursor: raw, phase: 'others' };
      }
      const pages = await changes.pump.take(PAGES_PER_BATCH);
      const next = applyPages(cursor, pages);
      let { pump, phase } = changes;
      if (pump.finished && phase === 'others') {
        pump = pumpFor(
          next.state,
          next.state.folders.filter((f) => f.sent),
        );
        phase = 'sent';
      }
      const more = !(pump.finished && phase === 'sent');
      const nextCursor: SyncCursor = { ...next.state };
      changes = more ? { pump, cursor: nextCursor, phase } : null;
      return { messages: next.messages, deletedIds: next.removed, cursor: nextCursor, more };
    },

    async hasMessageId(internetMessageId) {
      return (await findByMessageId(call, '/me/messages', internetMessageId)) !== null;
    },

    async fetchReplyText(providerId) {
      const id = providerId.startsWith('graph:')
        ? providerId.slice('graph:'.length)
        : ((await findByMessageId(call, '/me/mailFolders/sentitems/messages', providerId)) ??
          (await findByMessageId(call, '/me/messages', providerId)));
      if (id === null) throw new ProviderError('NOT_FOUND', 'Outlook: the reply is no longer in the mailbox');
      const message = await call<{ uniqueBody?: { content?: string }; body?: { content?: string } }>(
        'messages.get',
        (client) =>
          client
            .api(`/me/messages/${encodeURIComponent(id)}`)
            .select('uniqueBody,body')
            .header('Prefer', 'outlook.body-content-type="text"'),
      );
      return message.uniqueBody?.content ?? message.body?.content ?? '';
    },
  };
}

async function fetchFolderPage(
  call: GraphCall,
  folder: FolderCursor,
  link: string | null,
  round: { since: string; select: string },
): Promise<FolderPage<MessageMeta>> {
  let response: { value?: GraphMessage[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string };
  try {
    response = await call('messages.delta', (client) =>
      (link
        ? client.api(link)
        : client
            .api(`/me/mailFolders/${encodeURIComponent(folder.id)}/messages/delta`)
            .select(round.select)
            .filter(`receivedDateTime ge ${round.since}`)
      ).header('Prefer', `odata.maxpagesize=${MAX_PAGE_SIZE}`),
    );
  } catch (error) {
    // An expired or invalid delta token (410, syncStateNotFound): start only this folder's delta
    // again. Rows already stored stay; the idempotent store skips them.
    if (error instanceof ProviderError && error.code === 'CURSOR_INVALID' && link !== null) {
      return fetchFolderPage(call, folder, null, round);
    }
    // The folder was deleted since it was listed: nothing more to read from it.
    if (error instanceof ProviderError && error.code === 'NOT_FOUND') {
      return { folderId: folder.id, messages: [], entries: 0, link: null, inRound: false, gone: true };
    }
    throw error;
  }
  let raw: GraphMessage[] | null = response.value ?? [];
  const entries = raw.length;
  const nextLink = response['@odata.nextLink'];
  let messages: MessageMeta[] = [];
  return {
    folderId: folder.id,
    // Mapped when first asked for, not before: the folder's next request (which needs only the
    // nextLink) goes out first. A folder's pages are a chain, so this is its critical path. The
    // raw answer is let go once mapped.
    get messages() {
      if (raw) {
        messages = raw.flatMap((entry) => toMessageMeta(entry, folder) ?? []);
        raw = null;
      }
      return messages;
    },
    entries,
    link: nextLink ?? response['@odata.deltaLink'] ?? null,
    inRound: nextLink !== undefined,
    gone: false,
  };
}

/** A folder whose delta round has not ended yet (never started, or under way). */
function isUnread(folder: FolderCursor): boolean {
  return folder.link === null || folder.inRound;
}

/** Where every folder stands (the stored JSON may come back with its keys in another order). */
function signature(state: DeltaState): string {
  return state.folders.map((f) => `${f.id} ${f.inRound} ${f.link}`).join('\n');
}

/** The state after some pages: each page moves its folder on; a page's messages once each. */
function applyPages(state: DeltaState, pages: FolderPage<MessageMeta>[]) {
  const folders = new Map(state.folders.map((f) => [f.id, { ...f }]));
  const messages = new Map<string, MessageMeta>();
  const removed: string[] = [];
  let listed = state.listed;
  for (const page of pages) {
    listed += page.entries;
    if (page.gone) {
      folders.delete(page.folderId);
      continue;
    }
    const folder = folders.get(page.folderId);
    if (folder) {
      folder.link = page.link;
      folder.inRound = page.inRound;
    }
    for (const message of page.messages)
      if (!messages.has(message.providerId)) messages.set(message.providerId, message);
  }
  return {
    state: { ...state, folders: [...folders.values()], listed },
    messages: [...messages.values()],
    removed,
  };
}

/**
 * A new sync run: learn the folders as they are now. New folders that hold mail start their
 * delta (from the backfill's start); deleted ones are dropped; known ones keep their place.
 */
async function refreshFolders(call: GraphCall, cursor: DeltaState): Promise<DeltaState> {
  const { known, folders: listed } = await discoverFolders(call, cursor.known);
  const current = new Map(cursor.folders.map((f) => [f.id, f]));
  const folders: FolderCursor[] = [];
  for (const folder of listed) {
    const existing = current.get(folder.id);
    if (existing) folders.push(existing);
    else if (folder.total > 0)
      folders.push({ id: folder.id, label: folder.label, sent: folder.sent, link: null, inRound: false });
  }
  return { ...cursor, known, folders, listed: 0 };
}

async function readProfile(call: GraphCall): Promise<AccountProfile> {
  type Me = { mail?: string | null; userPrincipalName?: string | null; proxyAddresses?: string[] };
  const me = await call<Me>('me', (client) =>
    client.api('/me').select('mail,userPrincipalName,proxyAddresses'),
  ).catch((error: unknown) => {
    // Proxy addresses are a refinement: without them, aliases come from the From of sent mail.
    if (error instanceof ProviderError && error.code === 'INSUFFICIENT_SCOPE') {
      return call<Me>('me', (client) => client.api('/me').select('mail,userPrincipalName'));
    }
    throw error;
  });
  const email = (me.mail || me.userPrincipalName)?.trim().toLowerCase();
  if (!email) throw new ProviderError('UNKNOWN', 'Outlook /me answered without an address');
  const aliases = (me.proxyAddresses ?? [])
    .filter((p) => /^smtp:/i.test(p))
    .map((p) => p.slice(5).trim().toLowerCase())
    .filter((a) => a && a !== email);
  return { email, aliases: [...new Set(aliases)] };
}

/** The Graph id of the message with this Message-ID under `path`, or null. */
async function findByMessageId(
  call: GraphCall,
  path: string,
  internetMessageId: string,
): Promise<string | null> {
  const literal = internetMessageId.replaceAll("'", "''");
  const found = await call<{ value?: { id: string }[] }>('messages.list', (client) =>
    client.api(path).filter(`internetMessageId eq '${literal}'`).select('id').top(1),
  );
  return found.value?.[0]?.id ?? null;
}
