import type { ThreadMessage } from './find-follow-ups.ts';

export type StoredThreadMessage = ThreadMessage & { internetMessageId: string | null };

/**
 * Rows grouped into conversations. One message held by two connected accounts has two provider
 * thread ids; a shared Message-ID joins them into one conversation (answering from either account
 * settles both), and the second copy is dropped. The conversation keeps its smallest thread id,
 * so the same rows always give the same id whatever order they come in.
 */
export function collectThreads(rows: readonly StoredThreadMessage[]): ThreadMessage[][] {
  const parent = new Map<string, string>();
  const find = (id: string): string => {
    let root = id;
    while (parent.get(root) !== root) root = parent.get(root) ?? root;
    parent.set(id, root);
    return root;
  };
  const union = (a: string, b: string) => {
    const [ra, rb] = [find(a), find(b)];
    if (ra === rb) return;
    // The smaller id becomes the root, so a conversation's id does not depend on row order.
    const [low, high] = ra < rb ? [ra, rb] : [rb, ra];
    parent.set(high, low);
  };
  const threadOfMessage = new Map<string, string>();
  for (const row of rows) {
    if (!parent.has(row.threadId)) parent.set(row.threadId, row.threadId);
    if (!row.internetMessageId) continue;
    const seen = threadOfMessage.get(row.internetMessageId);
    if (seen === undefined) threadOfMessage.set(row.internetMessageId, row.threadId);
    else union(seen, row.threadId);
  }
  const threads = new Map<string, Map<string, ThreadMessage>>();
  rows.forEach((row, index) => {
    const root = find(row.threadId);
    const messages = threads.get(root) ?? new Map<string, ThreadMessage>();
    const key = row.internetMessageId ?? `row:${index}`;
    const { internetMessageId: _, ...message } = row;
    const kept = messages.get(key);
    // Of two copies, keep the sent one (it is the user's own), then the earlier.
    if (!kept || (message.direction === 'sent' && kept.direction !== 'sent') || message.at < kept.at) {
      messages.set(key, { ...message, threadId: root });
    }
    threads.set(root, messages);
  });
  return [...threads.values()].map((messages) => [...messages.values()]);
}
