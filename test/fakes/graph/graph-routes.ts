import type { ChangeType, DeltaEngine } from './delta.ts';
import { getFolder, listFolders } from './folder-routes.ts';
import { hasAny, isBasicOnly, MAIL_SCOPES, USER_SCOPES } from './graph-auth.ts';
import type { MailStore } from './mail-store.ts';
import { sendMe } from './me-route.ts';
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
    case 'mailFolders.get':
      return getFolder(ctx, route.folder, call, reply);
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
