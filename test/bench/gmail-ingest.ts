import { refreshDirtyContacts } from '../../src/contacts/refresh-dirty-contacts.ts';
import type { PrismaClient } from '../../src/lib/prisma.ts';
import type { MessageMeta } from '../../src/providers/types.ts';
import { isContactRefreshDue } from '../../src/sync/contact-refresh-policy.ts';
import { storeInteractions } from '../../src/sync/store-interactions.ts';
import { StorePipeline } from '../../src/sync/store-pipeline.ts';

export interface IngestResult {
  messages: number;
  inserted: number;
  /**
   * Time the store path held the backfill up: inside storeInteractions, and waiting for
   * refreshDirtyContacts (page building excluded).
   */
  storeMs: number;
  /** The part of storeMs until the last page was stored, before the backfill's last recompute. */
  storedMs: number;
  /** The part of storeMs spent waiting for a recompute. */
  refreshWaitMs: number;
  /** How long the recomputes ran in all, beside the stores or not. */
  refreshMs: number;
  /** How many times the dirty contacts were recomputed (chunk ends the policy chose, and the end). */
  refreshes: number;
  pages: number;
}

/**
 * Stores a mailbox page by page exactly as syncAccount's backfill does: storeInteractions per page
 * (which marks the touched addresses dirty), each page sent while the one before is stored
 * (StorePipeline), and refreshDirtyContacts as its chunks of `chunkPages` pages run it: awaited
 * at the first chunk's end and at the end; between, when isContactRefreshDue says so at a chunk's
 * start, beside that chunk's pages and awaited at its end. The pages come as the Gmail provider
 * hands them over (recordedPages: Gmail's answers, parsed and normalised), a chunk at a time, so
 * memory holds one chunk whatever the mailbox size. Getting the pages is not counted in the
 * store's time.
 */
export async function ingestMailbox(
  prisma: PrismaClient,
  owner: { userId: string; accountId: string },
  own: ReadonlySet<string>,
  pages: AsyncIterable<MessageMeta[]>,
  options: {
    chunkPages: number;
    groupSizeLimit: number;
    /** False: store the pages and recompute nothing (what storing alone costs). */
    recompute?: boolean;
    onPage?: (done: number) => void;
  },
): Promise<IngestResult> {
  const recompute = options.recompute ?? true;
  const result: IngestResult = {
    messages: 0,
    inserted: 0,
    storeMs: 0,
    storedMs: 0,
    refreshWaitMs: 0,
    refreshMs: 0,
    refreshes: 0,
    pages: 0,
  };
  /** Messages stored when the last recompute began (what it covers). */
  let refreshedAt = 0;
  /** When it began (performance.now()). */
  let refreshStarted = 0;
  let beside: Promise<void> | null = null;
  const refresh = async () => {
    refreshedAt = result.messages;
    const started = performance.now();
    refreshStarted = started;
    await refreshDirtyContacts(prisma, owner.userId, { groupSizeLimit: options.groupSizeLimit, own });
    result.refreshMs += performance.now() - started;
    result.refreshes += 1;
    options.onPage?.(result.messages);
  };
  const wait = async (recompute: Promise<void>) => {
    const started = performance.now();
    await recompute;
    const ms = performance.now() - started;
    result.refreshWaitMs += ms;
    result.storeMs += ms;
  };
  // A chunk's pages are read first, with nothing in flight, and then stored as syncAccount stores
  // them (StorePipeline: a page's statements sent while the one before is still being stored), so
  // the timed window holds the store path's work and no page reading, and no store is left
  // running unseen while a page is read. A recompute beside a chunk runs on through its reading,
  // as in sync.
  const storeChunk = async (chunk: MessageMeta[][]) => {
    const started = performance.now();
    const pipeline = new StorePipeline<{ inserted: number }>();
    for (const page of chunk) {
      await pipeline.push(storeInteractions(prisma, owner, page, own), (stored) => {
        result.inserted += stored.inserted;
        result.messages += page.length;
        result.pages += 1;
        options.onPage?.(result.messages);
      });
    }
    await pipeline.drain();
    result.storeMs += performance.now() - started;
    if (!recompute || chunk.length < options.chunkPages) return;
    // A chunk ends: its recompute is waited for (the first chunk's runs now), then the next
    // chunk starts one beside it when the doubling policy says so.
    if (beside) await wait(beside);
    beside = null;
    if (refreshedAt === 0) await wait(refresh());
    else if (isContactRefreshDue(result.messages, refreshedAt, performance.now() - refreshStarted)) {
      beside = refresh();
      beside.catch(() => {}); // awaited at the chunk's end
    }
  };
  let chunk: MessageMeta[][] = [];
  for await (const page of pages) {
    chunk.push(page);
    if (chunk.length === options.chunkPages) {
      await storeChunk(chunk);
      chunk = [];
    }
  }
  if (chunk.length > 0) await storeChunk(chunk);
  result.storedMs = result.storeMs;
  if (beside) await wait(beside);
  if (recompute) await wait(refresh());
  return result;
}
