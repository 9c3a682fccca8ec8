import { sinceOf } from './delta.ts';
import type { GraphCall, GraphContext } from './graph-routes.ts';
import type { StoredMessage } from './mail-store.ts';
import { BODY_PROPERTIES, parseSelect, renderMessage } from './message-resource.ts';
import { type Reply, sendGraphError } from './respond.ts';

/**
 * GET /me/messages and /me/mailFolders/{id}/messages: newest first, `$top` (default 10, at most
 * 1000), `$skip` paging, `$select`, and the two filters touchbase needs:
 * `internetMessageId eq '<id>'` (OData literal, `''` for a quote) and `receivedDateTime ge|gt ...`.
 */
export function listMessages(
  ctx: GraphContext,
  folderRef: string | undefined,
  call: GraphCall,
  basicOnly: boolean,
  bodyAsText: boolean,
  linkBase: string,
  reply: Reply,
) {
  const folder = folderRef === undefined ? undefined : ctx.store.folder(folderRef);
  if (folderRef !== undefined && !folder) {
    return sendGraphError(
      reply,
      404,
      'ErrorItemNotFound',
      'The specified object was not found in the store.',
    );
  }
  const sel = parseSelect(call.query.get('$select'));
  if ('unknown' in sel) {
    return sendGraphError(
      reply,
      400,
      'RequestBroker--ParseUri',
      `Could not find a property named '${sel.unknown}' on type 'microsoft.graph.message'.`,
    );
  }
  if (basicOnly && sel.props?.some((p) => BODY_PROPERTIES.includes(p))) {
    return sendGraphError(
      reply,
      403,
      'ErrorAccessDenied',
      'Access is denied. Check credentials and try again.',
    );
  }
  const filter = call.query.get('$filter');
  let pool: StoredMessage[];
  const imid = filter ? /^\s*internetMessageId\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(filter) : null;
  const since = filter ? sinceOf(filter) : undefined;
  if (imid?.[1] !== undefined) {
    // An index, as Exchange has: digests look their replies up this way in big mailboxes.
    pool = ctx.store.withInternetMessageId(imid[1].replace(/''/g, "'"));
  } else if (filter && !since) {
    return sendGraphError(
      reply,
      400,
      'ErrorInvalidUrlQueryFilter',
      'The query filter contains one or more invalid nodes.',
    );
  } else {
    const source = folder ? [folder] : [...ctx.store.folders.values()];
    pool = source.flatMap((f) => [...f.messages.values()]);
    if (since) pool = pool.filter((m) => since(m.spec.receivedDateTime));
  }
  if (folder) pool = pool.filter((m) => m.folderId === folder.id);
  const all = pool.sort((a, b) => b.spec.receivedDateTime.localeCompare(a.spec.receivedDateTime));
  const top = Math.min(1000, Math.max(1, Number(call.query.get('$top') ?? 10) || 10));
  const skip = Math.max(0, Number(call.query.get('$skip') ?? 0) || 0);
  const page = all.slice(skip, skip + top);
  const body: Record<string, unknown> = {
    '@odata.context': `${call.origin}/v1.0/$metadata#users('${ctx.user.id}')/messages`,
    value: page.map((m) =>
      renderMessage(ctx.store, m, { select: sel.props, bodyAsText, basicOnly, baseUrl: linkBase }),
    ),
  };
  if (skip + top < all.length) {
    const q = new URLSearchParams(call.query);
    q.set('$top', String(top));
    q.set('$skip', String(skip + top));
    const path =
      folderRef === undefined
        ? 'messages'
        : `mailFolders('${ctx.store.folder(folderRef)?.id ?? folderRef}')/messages`;
    body['@odata.nextLink'] = `${linkBase}/${path}?${q.toString().replace(/%24/g, '$')}`;
  }
  reply.send(200, body);
}
