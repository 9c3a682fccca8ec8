import type { GraphCall, GraphContext } from './graph-routes.ts';
import type { StoredFolder } from './mail-store.ts';
import { type Reply, sendGraphError } from './respond.ts';

/** GET /me/mailFolders/{ref}, with `$select`. */
export function getFolder(ctx: GraphContext, ref: string, call: GraphCall, reply: Reply) {
  const f = ctx.store.folder(ref);
  if (!f)
    return sendGraphError(
      reply,
      404,
      'ErrorItemNotFound',
      'The specified object was not found in the store.',
    );
  const props = folderSelect(call.query.get('$select'));
  if (typeof props === 'string') return unknownFolderProperty(reply, props);
  reply.send(200, {
    '@odata.context': `${call.origin}/v1.0/$metadata#users('${ctx.user.id}')/mailFolders/$entity`,
    ...renderFolder(ctx, f, props),
  });
}

/**
 * GET /me/mailFolders (children of the root) and .../childFolders: `$top` (default 10), `$skip`
 * paging, `$select`, and hidden folders only with `includeHiddenFolders=true`.
 */
export function listFolders(
  ctx: GraphContext,
  parentRef: string | undefined,
  call: GraphCall,
  linkBase: string,
  reply: Reply,
) {
  const parent = parentRef === undefined ? ctx.store.root : ctx.store.folder(parentRef);
  if (!parent)
    return sendGraphError(
      reply,
      404,
      'ErrorItemNotFound',
      'The specified object was not found in the store.',
    );
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

function clampInt(raw: string | null, dflt: number, min: number, max: number): number {
  const n = Number(raw);
  if (raw === null || !Number.isInteger(n)) return dflt;
  return Math.max(min, Math.min(max, n));
}
