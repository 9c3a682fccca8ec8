import type { ChangeType, DeltaEngine } from './delta.ts';
import { hasAny, isBasicOnly, MAIL_SCOPES, USER_SCOPES } from './graph-auth.ts';
import type { MailStore, StoredFolder } from './mail-store.ts';
import { listMessages } from './message-list.ts';
import { BODY_PROPERTIES, parseSelect, renderMessage } from './message-resource.ts';
import { type Reply, sendGraphError } from './respond.ts';
import type { AccessToken } from './token-store.ts';

export interface GraphUser {
  id: string;
  email: string;
  displayName: string;
  proxyAddresses: string[];
}

export interface GraphContext {
  store: MailStore;
  delta: DeltaEngine;
  user: GraphUser;
  maxPageSize: number;
  stats: { pagesServed: number; deltaMessagesServed: number };
}

/** One Graph call, whether it came over HTTP or inside a $batch. */
export interface GraphCall {
  method: string;
  /** the path after /v1.0, e.g. /me/mailFolders('x')/messages/delta */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  /** scheme://host of the request, for @odata links */
  origin: string;
}

export type Route =
  | { name: 'me' }
  | { name: 'mailFolders.list'; parent: string | undefined }
  | { name: 'mailFolders.get'; folder: string }
  | { name: 'messages.delta'; folder: string }
  | { name: 'messages.get'; message: string }
  | { name: 'messages.list'; folder: string | undefined }
  | { name: 'unknown' };

/** Splits `/me/mailFolders('a')/childFolders/b/messages/delta` into a route. */
export function matchRoute(
  method: string,
  path: string,
  user: GraphUser,
): { route: Route; userSeg: string } | { userError: string } {
  const segs: string[] = [];
  for (const raw of path.split('/').filter(Boolean)) {
    const m = /^([A-Za-z.]+)\('(.*)'\)$/.exec(raw);
    if (m?.[1] !== undefined && m[2] !== undefined) segs.push(m[1], decodeURIComponent(m[2]));
    else segs.push(decodeURIComponent(raw));
  }
  let userSeg = 'me';
  const first = segs.shift()?.toLowerCase();
  if (first === 'users') {
    const who = segs.shift() ?? '';
    if (who.toLowerCase() !== user.email.toLowerCase() && who !== user.id) return { userError: who };
    userSeg = `users/${who}`;
  } else if (first !== 'me') return { route: { name: 'unknown' }, userSeg };
  if (method !== 'GET') return { route: { name: 'unknown' }, userSeg };
  const lower = segs.map((s) => s.toLowerCase());
  if (segs.length === 0) return { route: { name: 'me' }, userSeg };
  if (lower[0] === 'messages' && segs.length === 1)
    return { route: { name: 'messages.list', folder: undefined }, userSeg };
  if (lower[0] === 'messages' && segs.length === 2)
    return { route: { name: 'messages.get', message: segs[1] as string }, userSeg };
  if (lower[0] !== 'mailfolders') return { route: { name: 'unknown' }, userSeg };
  if (segs.length === 1) return { route: { name: 'mailFolders.list', parent: undefined }, userSeg };
  // mailFolders/{id}(/childFolders/{id})* then nothing, /childFolders, /messages/delta or /messages/{id}
  let folder = segs[1] as string;
  let i = 2;
  while (lower[i] === 'childfolders' && segs[i + 1] !== undefined) {
    folder = segs[i + 1] as string;
    i += 2;
  }
  const rest = lower.slice(i);
  if (rest.length === 0) return { route: { name: 'mailFolders.get', folder }, userSeg };
  if (rest.length === 1 && rest[0] === 'childfolders')
    return { route: { name: 'mailFolders.list', parent: folder }, userSeg };
  if (rest.length === 1 && rest[0] === 'messages')
    return { route: { name: 'messages.list', folder }, userSeg };
  if (rest.length === 2 && rest[0] === 'messages' && rest[1] === 'delta') {
    return { route: { name: 'messages.delta', folder }, userSeg };
  }
  if (rest.length === 2 && rest[0] === 'messages')
    return { route: { name: 'messages.get', message: segs[i + 1] as string }, userSeg };
  return { route: { name: 'unknown' }, userSeg };
}

export function handleRoute(
  ctx: GraphContext,
  route: Route,
  userSeg: string,
  call: GraphCall,
  token: AccessToken,
  reply: Reply,
) {
  const linkBase = `${call.origin}/v1.0/${userSeg}`;
  switch (route.name) {
    case 'unknown':
      return sendGraphError(
        reply,
        400,
        'BadRequest',
        `Resource not found for the segment '${call.path.split('/').filter(Boolean).at(-1) ?? ''}'.`,
      );
    case 'me':
      if (!hasAny(token, USER_SCOPES)) {
        return sendGraphError(
          reply,
          403,
          'Authorization_RequestDenied',
          'Insufficient privileges to complete the operation.',
        );
      }
      return sendMe(ctx, call, reply);
  }
  if (!hasAny(token, MAIL_SCOPES))
    return sendGraphError(
      reply,
      403,
      'ErrorAccessDenied',
      'Access is denied. Check credentials and try again.',
    );
  const prefer = parsePrefer(call.headers.prefer);
  const bodyAsText = prefer.get('outlook.body-content-type') === 'text';
  switch (route.name) {
    case 'mailFolders.list':
      return listFolders(ctx, route.parent, call, linkBase, reply);
    case 'mailFolders.get': {
      const f = ctx.store.folder(route.folder);
      if (!f) return folderNotFound(reply);
      const props = folderSelect(call.query.get('$select'));
      if (typeof props === 'string') return unknownFolderProperty(reply, props);
      return reply.send(200, {
        '@odata.context': `${call.origin}/v1.0/$metadata#users('${ctx.user.id}')/mailFolders/$entity`,
        ...renderFolder(ctx, f, props),
      });
    }
    case 'messages.get': {
      const m = ctx.store.message(route.message);
      if (!m)
        return sendGraphError(
          reply,
          404,
          'ErrorItemNotFound',
          'The specified object was not found in the store.',
        );
      const sel = parseSelect(call.query.get('$select'));
      if ('unknown' in sel) return unknownProperty(reply, sel.unknown);
      const basicOnly = isBasicOnly(token);
      if (basicOnly && sel.props?.some((p) => BODY_PROPERTIES.includes(p))) {
        return sendGraphError(
          reply,
          403,
          'ErrorAccessDenied',
          'Access is denied. Check credentials and try again.',
        );
      }
      const headers: Record<string, string> = bodyAsText
        ? { 'preference-applied': 'outlook.body-content-type="text"' }
        : {};
      return reply.send(
        200,
        {
          '@odata.context': `${call.origin}/v1.0/$metadata#users('${ctx.user.id}')/messages/$entity`,
          ...renderMessage(ctx.store, m, { select: sel.props, bodyAsText, basicOnly, baseUrl: linkBase }),
        },
        headers,
      );
    }
    case 'messages.list':
      return listMessages(ctx, route.folder, call, isBasicOnly(token), bodyAsText, linkBase, reply);
    case 'messages.delta':
      return delta(ctx, route.folder, call, token, prefer, linkBase, reply);
  }
}

function delta(
  ctx: GraphContext,
  folderRef: string,
  call: GraphCall,
  token: AccessToken,
  prefer: Map<string, string>,
  linkBase: string,
  reply: Reply,
) {
  const folder = ctx.store.folder(folderRef);
  if (!folder) return folderNotFound(reply);
  const sel = parseSelect(call.query.get('$select'));
  if ('unknown' in sel) return unknownProperty(reply, sel.unknown);
  const basicOnly = isBasicOnly(token);
  if (basicOnly && sel.props?.some((p) => BODY_PROPERTIES.includes(p))) {
    return sendGraphError(
      reply,
      403,
      'ErrorAccessDenied',
      'Access is denied. Check credentials and try again.',
    );
  }
  const filter = call.query.get('$filter') ?? undefined;
  if (
    filter !== undefined &&
    !/^\s*receivedDateTime\s+(ge|gt)\s+\d{4}-\d{2}-\d{2}T[\d:.]+Z?\s*$/i.test(filter)
  ) {
    return sendGraphError(
      reply,
      400,
      'ErrorInvalidUrlQueryFilter',
      'The query filter contains one or more invalid nodes.',
    );
  }
  const orderby = call.query.get('$orderby');
  if (orderby !== null && !/^\s*receivedDateTime\s+desc\s*$/i.test(orderby)) {
    return sendGraphError(
      reply,
      400,
      'ErrorInvalidUrlQuery',
      'The only supported $orderby for message delta is receivedDateTime desc.',
    );
  }
  const ct = call.query.get('changeType');
  if (ct !== null && !['created', 'updated', 'deleted'].includes(ct)) {
    return sendGraphError(
      reply,
      400,
      'ErrorInvalidParameter',
      `The value '${ct}' of parameter 'changeType' is invalid.`,
    );
  }
  const asked = Number(prefer.get('odata.maxpagesize'));
  const pageSize = Number.isInteger(asked) && asked > 0 ? Math.min(asked, ctx.maxPageSize) : 10;
  const result = ctx.delta.page({
    folder,
    select: sel.props,
    filter,
    changeType: (ct ?? undefined) as ChangeType | undefined,
    top: topOf(call.query.get('$top')),
    deltaToken: call.query.get('$deltatoken'),
    skipToken: call.query.get('$skiptoken'),
    pageSize,
    bodyAsText: prefer.get('outlook.body-content-type') === 'text',
    basicOnly,
    linkBase,
  });
  if (!result.ok) return sendGraphError(reply, result.status, result.code, result.message);
  ctx.stats.pagesServed += 1;
  ctx.stats.deltaMessagesServed += result.count;
  const applied = [`odata.maxpagesize=${pageSize}`];
  if (prefer.get('outlook.body-content-type') === 'text') applied.push('outlook.body-content-type="text"');
  reply.send(200, result.body, { 'preference-applied': applied.join(', ') });
}

function listFolders(
  ctx: GraphContext,
  parentRef: string | undefined,
  call: GraphCall,
  linkBase: string,
  reply: Reply,
) {
  const parent = parentRef === undefined ? ctx.store.root : ctx.store.folder(parentRef);
  if (!parent) return folderNotFound(reply);
  const includeHidden = call.query.get('includeHiddenFolders') === 'true';
  const all = ctx.store.children(parent.id).filter((f) => includeHidden || !f.isHidden);
  const top = clampInt(call.query.get('$top'), 10, 1, 1000);
  const skip = clampInt(call.query.get('$skip'), 0, 0, Number.MAX_SAFE_INTEGER);
  const page = all.slice(skip, skip + top);
  const props = folderSelect(call.query.get('$select'));
  if (typeof props === 'string') return unknownFolderProperty(reply, props);
  const body: Record<string, unknown> = {
    '@odata.context': `${call.origin}/v1.0/$metadata#users('${ctx.user.id}')/mailFolders`,
    value: page.map((f) => renderFolder(ctx, f, props)),
  };
  if (skip + top < all.length) {
    const path = parentRef === undefined ? 'mailFolders' : `mailFolders('${parent.id}')/childFolders`;
    const q = new URLSearchParams();
    if (includeHidden) q.set('includeHiddenFolders', 'true');
    const select = call.query.get('$select');
    if (select) q.set('$select', select);
    q.set('$top', String(top));
    q.set('$skip', String(skip + top));
    body['@odata.nextLink'] = `${linkBase}/${path}?${q.toString().replace(/%24/g, '$')}`;
  }
  reply.send(200, body);
}

const FOLDER_PROPERTIES = [
  'id',
  'displayName',
  'parentFolderId',
  'childFolderCount',
  'unreadItemCount',
  'totalItemCount',
  'sizeInBytes',
  'isHidden',
];

/** Canonical folder property names from `$select`, undefined for all, or the unknown name. */
function folderSelect(raw: string | null): string[] | undefined | string {
  if (!raw?.trim()) return undefined;
  const out = ['id'];
  for (const part of raw.split(',')) {
    const name = part.trim();
    const canonical = FOLDER_PROPERTIES.find((p) => p.toLowerCase() === name.toLowerCase());
    if (!canonical) return name;
    if (!out.includes(canonical)) out.push(canonical);
  }
  return out;
}

function unknownFolderProperty(reply: Reply, name: string) {
  sendGraphError(
    reply,
    400,
    'RequestBroker--ParseUri',
    `Could not find a property named '${name}' on type 'microsoft.graph.mailFolder'.`,
  );
}

export function renderFolder(ctx: GraphContext, f: StoredFolder, select?: string[]): Record<string, unknown> {
  const all = folderJson(ctx, f);
  if (!select) return all;
  return Object.fromEntries(select.map((p) => [p, all[p]]));
}

function folderJson(ctx: GraphContext, f: StoredFolder): Record<string, unknown> {
  let unread = 0;
  for (const m of f.messages.values()) if (m.spec.isRead === false) unread += 1;
  return {
    id: f.id,
    displayName: f.displayName,
    parentFolderId: f.parentFolderId || `${ctx.store.root.id.slice(0, -4)}AQAAAA==`,
    childFolderCount: ctx.store.children(f.id).length,
    unreadItemCount: unread,
    totalItemCount: f.messages.size,
    sizeInBytes: f.messages.size * 4096,
    isHidden: f.isHidden,
  };
}

function sendMe(ctx: GraphContext, call: GraphCall, reply: Reply) {
  const u = ctx.user;
  const [given, ...rest] = u.displayName.split(' ');
  const all: Record<string, unknown> = {
    businessPhones: [],
    displayName: u.displayName,
    givenName: given ?? null,
    jobTitle: null,
    mail: u.email,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: 'en-US',
    surname: rest.join(' ') || null,
    userPrincipalName: u.email,
    id: u.id,
  };
  const extra: Record<string, unknown> = {
    proxyAddresses: u.proxyAddresses,
    otherMails: [],
    mailNickname: u.email.split('@')[0],
  };
  const select = call.query.get('$select');
  let body: Record<string, unknown> = all;
  if (select) {
    body = {};
    for (const raw of select.split(',')) {
      const name = raw.trim();
      const key = Object.keys({ ...all, ...extra }).find((k) => k.toLowerCase() === name.toLowerCase());
      if (!key) {
        return sendGraphError(
          reply,
          400,
          'Request_BadRequest',
          `Could not find a property named '${name}' on type 'microsoft.graph.user'.`,
        );
      }
      body[key] = all[key] ?? extra[key];
    }
  }
  const context = select ? `users(${select})/$entity` : 'users/$entity';
  reply.send(200, { '@odata.context': `${call.origin}/v1.0/$metadata#${context}`, ...body });
}

export function parsePrefer(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(',')) {
    const [k, v] = part.split('=');
    if (!k?.trim()) continue;
    out.set(k.trim().toLowerCase(), (v ?? '').trim().replace(/^"|"$/g, ''));
  }
  return out;
}

function folderNotFound(reply: Reply) {
  sendGraphError(reply, 404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
}

function unknownProperty(reply: Reply, name: string) {
  sendGraphError(
    reply,
    400,
    'RequestBroker--ParseUri',
    `Could not find a property named '${name}' on type 'microsoft.graph.message'.`,
  );
}

function topOf(raw: string | null): number | undefined {
  const n = Number(raw);
  return raw !== null && Number.isInteger(n) && n > 0 ? n : undefined;
}

function clampInt(raw: string | null, dflt: number, min: number, max: number): number {
  const n = Number(raw);
  if (raw === null || !Number.isInteger(n)) return dflt;
  return Math.max(min, Math.min(max, n));
}
