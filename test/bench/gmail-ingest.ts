import { refreshDirtyContacts } from '../../src/contacts/refresh-dirty-contacts.ts';
import type { PrismaClient } from '../../src/lib/prisma.ts';
import { isSkippedMessage, toMessageMeta } from '../../src/providers/gmail/to-message-meta.ts';
import { WANTED_HEADERS } from '../../src/providers/header-names.ts';
import type { MessageMeta } from '../../src/providers/types.ts';
import { isContactRefreshDue } from '../../src/sync/contact-refresh-policy.ts';
import { storeInteractions } from '../../src/sync/store-interactions.ts';
import type { FakeGmailMessage } from '../fakes/gmail/fake-gmail.ts';
import { renderMessage } from '../fakes/gmail/message-resource.ts';

export interface IngestResult {
  messages: number;
  inserted: number;
  /** Time inside storeInteractions and refreshDirtyContacts only (page building excluded). */
  storeMs: number;
  /** The part of storeMs spent recomputing contacts. */
  refreshMs: number;
  /** How many times the dirty contacts were recomputed (chunk ends the policy chose, and the end). */
  refreshes: number;
  pages: number;
}

/**
 * Stores a mailbox page by page exactly as syncAccount's backfill does: storeInteractions per page
 * (which marks the touched addresses dirty), and refreshDirtyContacts at the end of a chunk of
 * `chunkPages` pages when isContactRefreshDue says so, and at the end. Each page is
 * built from the generator just before it is stored - rendered as Gmail's metadata resource and
 * normalised by the real toMessageMeta - so memory holds one page, whatever the mailbox size.
 */
export async function ingestMailbox(
  prisma: PrismaClient,
  owner: { userId: string; accountId: string },
  own: ReadonlySet<string>,
  threads: Iterable<FakeGmailMessage[]>,
  options: {
    pageSize: number;
    chunkPages: number;
    groupSizeLimit: number;
    onPage?: (done: number) => void;
  },
): Promise<IngestResult> {
  const result: IngestResult = { messages: 0, inserted: 0, storeMs: 0, refreshMs: 0, refreshes: 0, pages: 0 };
  let refreshedAt = 0;
  const refresh = async () => {
    const started = performance.now();
    await refreshDirtyContacts(prisma, owner.userId, { groupSizeLimit: options.groupSizeLimit, own });
    const ms = performance.now() - started;
    result.refreshMs += ms;
    result.storeMs += ms;
    result.refreshes += 1;
    refreshedAt = result.messages;
    options.onPage?.(result.messages);
  };
  const store = async (page: MessageMeta[]) => {
    const started = performance.now();
    const stored = await storeInteractions(prisma, owner, page, own);
    result.storeMs += performance.now() - started;
    result.inserted += stored.inserted;
    result.messages += page.length;
    result.pages += 1;
    options.onPage?.(result.messages);
    if (result.pages % options.chunkPages === 0 && isContactRefreshDue(result.messages, refreshedAt))
      await refresh();
  };
  let page: MessageMeta[] = [];
  for (const thread of threads) {
    for (const message of thread) {
      const meta = asProviderSees(message);
      if (meta) page.push(meta);
      if (page.length >= options.pageSize) {
        await store(page);
        page = [];
      }
    }
  }
  if (page.length > 0) await store(page);
  await refresh();
  return result;
}

/** What the Gmail provider makes of a message fetched with format=metadata. */
export function asProviderSees(message: FakeGmailMessage): MessageMeta | null {
  if (isSkippedMessage(message.labelIds)) return null;
  return toMessageMeta(renderMessage({ ...message, historyId: 1 }, 'metadata', [...WANTED_HEADERS]));
}
