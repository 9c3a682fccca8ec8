import type { ServerResponse } from 'node:http';
import type { FakeGmailOptions } from './fake-gmail.ts';
import { isMetadataOnly } from './gmail-auth.ts';
import { MESSAGE_FORMATS, type MessageFormat, renderMessage } from './message-resource.ts';
import type { PageTokens } from './page-token.ts';
import { applyFields, FieldsError } from './partial-response.ts';
import { parseQuery, QueryError } from './query.ts';
import { sendGoogleError, sendJson } from './respond.ts';
import type { HistoryRecord, HistoryType, MailboxStore, StoredMessage } from './store.ts';
import type { AccessToken } from './token-store.ts';

export interface GmailRoute {
  endpoint: string;
  userId: string;
  id?: string;
}

export interface GmailContext {
  opts: FakeGmailOptions;
  store: MailboxStore;
  pageTokens: PageTokens;
  /** The last listing's matches, reused while the mailbox is unchanged (paging a big mailbox). */
  listCache?: { key: string; version: number; matches: StoredMessage[] };
}

/** Thrown by handlers for a 4xx that Google reports in its error envelope. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly reason: string,
    readonly location?: string,
  ) {
    super(message);
  }
}

const ROUTES: [RegExp, string][] = [
  [/^\/gmail\/v1\/users\/([^/]+)\/profile$/, 'users.getProfile'],
  [/^\/gmail\/v1\/users\/([^/]+)\/messages$/, 'users.messages.list'],
  [/^\/gmail\/v1\/users\/([^/]+)\/messages\/([^/]+)$/, 'users.messages.get'],
  [/^\/gmail\/v1\/users\/([^/]+)\/threads\/([^/]+)$/, 'users.threads.get'],
  [/^\/gmail\/v1\/users\/([^/]+)\/history$/, 'users.history.list'],
  [/^\/gmail\/v1\/users\/([^/]+)\/settings\/sendAs$/, 'users.settings.sendAs.list'],
];

export function matchGmailRoute(method: string, pathname: string): GmailRoute | undefined {
  if (method !== 'GET') return undefined;
  for (const [re, endpoint] of ROUTES) {
    const m = re.exec(pathname);
    if (!m) continue;
    const route: GmailRoute = { endpoint, userId: decodeURIComponent(m[1] ?? '') };
    if (m[2] !== undefined) route.id = decodeURIComponent(m[2]);
    return route;
  }
  return undefined;
}

/** Runs one authenticated Gmail API call and writes its JSON answer (or Google-shaped error). */
export function handleGmailRoute(
  ctx: GmailContext,
  route: GmailRoute,
  token: AccessToken,
  url: URL,
  res: ServerResponse,
): void {
  try {
    const me = route.userId.toLowerCase();
    if (me !== 'me' && me !== ctx.opts.email.toLowerCase()) {
      throw new ApiError(403, `Delegation denied for ${route.userId}`, 'forbidden');
    }
    const body = dispatch(ctx, route, token, url.searchParams);
    sendJson(res, 200, applyFields(body, url.searchParams.get('fields')));
  } catch (err) {
    if (err instanceof ApiError) {
      const spec = { code: err.code, message: err.message, reason: err.reason };
      sendGoogleError(
        res,
        err.location ? { ...spec, location: err.location, locationType: 'parameter' } : spec,
      );
      return;
    }
    if (err instanceof QueryError) {
      sendGoogleError(res, { code: 400, message: err.message, reason: 'invalidArgument' });
      return;
    }
    if (err instanceof FieldsError) {
      sendGoogleError(res, {
        code: 400,
        message: err.message,
        reason: 'invalidParameter',
        location: 'fields',
      });
      return;
    }
    throw err;
  }
}

function dispatch(ctx: GmailContext, route: GmailRoute, token: AccessToken, p: URLSearchParams): unknown {
  const { store } = ctx;
  switch (route.endpoint) {
    case 'users.getProfile':
      return {
        emailAddress: ctx.opts.email,
        messagesTotal: store.messages.size,
        threadsTotal: store.threadCount(),
        historyId: String(store.historyId),
      };
    case 'users.messages.list':
      return listMessages(ctx, token, p);
    case 'users.messages.get': {
      const format = readFormat(p, token);
      const m = store.messages.get(route.id ?? '');
      if (!m) throw missing(route.id ?? '');
      return renderMessage(m, format, multi(p, 'metadataHeaders'));
    }
    case 'users.threads.get': {
      const format = readFormat(p, token);
      const messages = store.threadMessages(route.id ?? '');
      if (messages.length === 0) throw missing(route.id ?? '');
      const headers = multi(p, 'metadataHeaders');
      return {
        id: route.id,
        historyId: String(Math.max(...messages.map((m) => m.historyId))),
        messages: messages.map((m) => renderMessage(m, format, headers)),
      };
    }
    case 'users.history.list':
      return listHistory(ctx, p);
    case 'users.settings.sendAs.list':
      return { sendAs: sendAsList(ctx.opts) };
    default:
      throw new ApiError(404, 'Method not found.', 'notFound');
  }
}

function listMessages(ctx: GmailContext, token: AccessToken, p: URLSearchParams): unknown {
  const q = p.get('q') ?? '';
  if (q && isMetadataOnly(token)) {
    throw new ApiError(403, "Metadata scope does not support 'q' parameter", 'forbidden');
  }
  const labelIds = multi(p, 'labelIds');
  const includeSpamTrash = bool(p, 'includeSpamTrash');
  const max = pageSize(p, ctx.opts.maxPageSize);
  const ownAddresses = sendAsList(ctx.opts).map((s) => String(s.sendAsEmail).toLowerCase());
  const fingerprint = JSON.stringify(['messages', q, [...labelIds].sort(), includeSpamTrash]);
  const matches = cachedMatches(ctx, fingerprint, () => {
    const query = parseQuery(q, { now: Date.now(), ownAddresses });
    const spamTrashOk =
      includeSpamTrash || query.reachesSpamTrash || labelIds.some((l) => l === 'SPAM' || l === 'TRASH');
    return [...ctx.store.messages.values()]
      .filter((m) => spamTrashOk || !m.labelIds.some((l) => l === 'SPAM' || l === 'TRASH'))
      .filter((m) => labelIds.every((l) => m.labelIds.includes(l)))
      .filter((m) => query.matches(m))
      .sort(newestFirst);
  });

  const start = startIndex(ctx, p, fingerprint, (cursor) => {
    const c = cursor as { d: number; id: string };
    return matches.findIndex((m) => newestFirst(m, { internalDate: c.d, id: c.id }) > 0);
  });
  const page = matches.slice(start, start + max);
  const body: Record<string, unknown> = {};
  if (page.length > 0) body.messages = page.map((m) => ({ id: m.id, threadId: m.threadId }));
  const last = page.at(-1);
  if (last && start + max < matches.length) {
    body.nextPageToken = ctx.pageTokens.encode({ d: last.internalDate, id: last.id }, fingerprint);
  }
  body.resultSizeEstimate = matches.length;
  return body;
}

/**
 * Relative dates (`newer_than:`) move with the clock, so only a listing started within the same
 * second of an unchanged mailbox is reused; paging through 100k messages then costs one sort.
 */
function cachedMatches(
  ctx: GmailContext,
  fingerprint: string,
  build: () => StoredMessage[],
): StoredMessage[] {
  const key = /newer_than|older_than/.test(fingerprint)
    ? `${fingerprint}@${Math.floor(Date.now() / 1000)}`
    : fingerprint;
  const hit = ctx.listCache;
  if (hit && hit.key === key && hit.version === ctx.store.version) return hit.matches;
  const matches = build();
  ctx.listCache = { key, version: ctx.store.version, matches };
  return matches;
}

function listHistory(ctx: GmailContext, p: URLSearchParams): unknown {
  const startRaw = p.get('startHistoryId');
  if (!startRaw) {
    throw new ApiError(
      400,
      'Missing required parameter: startHistoryId',
      'invalidArgument',
      'startHistoryId',
    );
  }
  if (!/^\d+$/.test(startRaw)) {
    throw new ApiError(400, `Invalid value at 'start_history_id' (TYPE_UINT64), "${startRaw}"`, 'invalid');
  }
  const startId = Number(startRaw);
  if (ctx.store.isTooOld(startId)) throw new ApiError(404, 'Requested entity was not found.', 'notFound');
  const types = new Set(multi(p, 'historyTypes') as HistoryType[]);
  const labelId = p.get('labelId');
  const max = pageSize(p, ctx.opts.maxPageSize);
  const records = ctx.store
    .historyAfter(startId)
    .filter((h) => types.size === 0 || types.has(h.type))
    .filter((h) => !labelId || h.message.labelIds.includes(labelId));

  const fingerprint = JSON.stringify(['history', startRaw, [...types].sort(), labelId]);
  const start = startIndex(ctx, p, fingerprint, (cursor) => records.findIndex((h) => h.id > Number(cursor)));
  const page = records.slice(start, start + max);
  const body: Record<string, unknown> = {};
  if (page.length > 0) body.history = page.map(renderHistory);
  const last = page.at(-1);
  if (last && start + max < records.length) body.nextPageToken = ctx.pageTokens.encode(last.id, fingerprint);
  body.historyId = String(ctx.store.historyId);
  return body;
}

function renderHistory(h: HistoryRecord): Record<string, unknown> {
  const ref = { id: h.message.id, threadId: h.message.threadId };
  const key = {
    messageAdded: 'messagesAdded',
    messageDeleted: 'messagesDeleted',
    labelAdded: 'labelsAdded',
    labelRemoved: 'labelsRemoved',
  }[h.type];
  return {
    id: String(h.id),
    messages: [ref],
    [key]: [{ message: { ...ref, labelIds: [...h.message.labelIds] } }],
  };
}

function sendAsList(opts: FakeGmailOptions): Record<string, unknown>[] {
  const entries = opts.sendAs ?? [{ sendAsEmail: opts.email, displayName: '', isPrimary: true }];
  return entries.map((s) => {
    const primary = s.isPrimary === true;
    const out: Record<string, unknown> = {
      sendAsEmail: s.sendAsEmail,
      displayName: s.displayName ?? '',
      replyToAddress: '',
      signature: '',
      isPrimary: primary,
      isDefault: primary,
    };
    // Google only reports these for custom "from" aliases, never for the primary address.
    if (!primary) {
      out.treatAsAlias = true;
      out.verificationStatus = 'accepted';
    }
    return out;
  });
}

function startIndex(
  ctx: GmailContext,
  p: URLSearchParams,
  fingerprint: string,
  locate: (cursor: unknown) => number,
): number {
  const token = p.get('pageToken');
  if (!token) return 0;
  const cursor = ctx.pageTokens.decode(token, fingerprint);
  if (cursor === undefined) throw new ApiError(400, 'Invalid pageToken', 'invalidArgument', 'pageToken');
  const i = locate(cursor);
  return i < 0 ? Number.MAX_SAFE_INTEGER : i;
}

function readFormat(p: URLSearchParams, token: AccessToken): MessageFormat {
  const raw = (p.get('format') ?? 'full').toLowerCase();
  if (!MESSAGE_FORMATS.includes(raw as MessageFormat)) {
    throw new ApiError(
      400,
      `Invalid value at 'format' (type.googleapis.com/caribou.api.proto.MessageFormat), "${raw}"`,
      'invalid',
    );
  }
  const format = raw as MessageFormat;
  if ((format === 'full' || format === 'raw') && isMetadataOnly(token)) {
    throw new ApiError(403, `Metadata scope doesn't allow format ${format.toUpperCase()}`, 'forbidden');
  }
  return format;
}

/** maxResults: default 100; Google silently caps anything above 500 (or the fake's `cap`). */
function pageSize(p: URLSearchParams, cap = 500): number {
  const raw = p.get('maxResults');
  if (raw === null || raw === '') return Math.min(100, cap);
  if (!/^\d+$/.test(raw))
    throw new ApiError(400, `Invalid value at 'max_results' (TYPE_UINT32), "${raw}"`, 'invalid');
  const n = Number(raw);
  return Math.min(n === 0 ? 100 : n, 500, cap);
}

function multi(p: URLSearchParams, name: string): string[] {
  return [...p.getAll(name), ...p.getAll(`${name}[]`)].filter(Boolean);
}

function bool(p: URLSearchParams, name: string): boolean {
  const v = p.get(name);
  return v === 'true' || v === '1';
}

function missing(id: string): ApiError {
  // Gmail rejects ids that are not hex outright; well-formed unknown ids are "not found".
  if (!/^[0-9a-f]+$/i.test(id)) return new ApiError(400, 'Invalid id value', 'invalidArgument');
  return new ApiError(404, 'Requested entity was not found.', 'notFound');
}

function newestFirst(
  a: Pick<StoredMessage, 'internalDate' | 'id'>,
  b: Pick<StoredMessage, 'internalDate' | 'id'>,
): number {
  return b.internalDate - a.internalDate || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}
