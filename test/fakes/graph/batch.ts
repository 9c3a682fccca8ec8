import type { GraphCall } from './graph-routes.ts';
import { type Reply, sendGraphError } from './respond.ts';

export const MAX_BATCH = 20;
/** Graph hands batch items to Outlook at most four at a time. */
const PARALLEL = 4;

interface BatchItem {
  id?: unknown;
  method?: unknown;
  url?: unknown;
  headers?: unknown;
  dependsOn?: unknown;
}

/**
 * POST /v1.0/$batch (JSON batching): up to 20 GET requests with relative URLs, answered as
 * `{ responses: [{ id, status, headers, body }] }`. Items run in waves of four, each one counted
 * and throttled on its own, as Graph does.
 */
export async function handleBatch(
  text: string,
  base: Omit<GraphCall, 'method' | 'path' | 'query'>,
  run: (call: GraphCall, reply: Reply) => Promise<void>,
  reply: Reply,
): Promise<number> {
  let parsed: { requests?: unknown };
  try {
    parsed = JSON.parse(text) as { requests?: unknown };
  } catch {
    sendGraphError(reply, 400, 'BadRequest', 'Invalid batch payload format.');
    return 0;
  }
  const items = parsed.requests;
  if (!Array.isArray(items) || items.length === 0) {
    sendGraphError(reply, 400, 'BadRequest', 'Invalid batch payload format.');
    return 0;
  }
  if (items.length > MAX_BATCH) {
    sendGraphError(
      reply,
      400,
      'BadRequest',
      `Invalid batch payload: the number of requests ${items.length} exceeds the maximum of ${MAX_BATCH}.`,
    );
    return 0;
  }
  const ids = new Set<string>();
  for (const it of items as BatchItem[]) {
    if (
      typeof it.id !== 'string' ||
      typeof it.url !== 'string' ||
      typeof it.method !== 'string' ||
      ids.has(it.id)
    ) {
      sendGraphError(
        reply,
        400,
        'BadRequest',
        'Each batch request needs a unique string id, a method and a relative url.',
      );
      return 0;
    }
    ids.add(it.id);
  }
  const responses: Record<string, unknown>[] = [];
  const queue = [...(items as Required<BatchItem>[])];
  while (queue.length > 0) {
    const wave = queue.splice(0, PARALLEL);
    const answers = await Promise.all(
      wave.map(async (it) => {
        const url = new URL(String(it.url).replace(/^\/?(v1\.0\/)?/, '/'), 'https://batch.invalid');
        const headers: Record<string, string | undefined> = { ...base.headers };
        if (it.headers && typeof it.headers === 'object') {
          for (const [k, v] of Object.entries(it.headers as Record<string, unknown>))
            headers[k.toLowerCase()] = String(v);
        }
        let out: Record<string, unknown> = { id: it.id, status: 500 };
        await run(
          {
            method: String(it.method).toUpperCase(),
            path: url.pathname,
            query: url.searchParams,
            headers,
            origin: base.origin,
          },
          {
            send(status, body, h = {}) {
              out = { id: it.id, status, headers: { 'Content-Type': 'application/json', ...h }, body };
              if (body === undefined) delete out.body;
            },
          },
        );
        return out;
      }),
    );
    responses.push(...answers);
  }
  reply.send(200, { responses });
  return items.length;
}
