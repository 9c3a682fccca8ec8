import type { gmail_v1 } from 'googleapis';
import { EXTRA_HEADERS, splitMessageIds } from '../header-names.ts';
import type { MessageMeta } from '../types.ts';

const CATEGORY_LABELS = new Set([
  'CATEGORY_PROMOTIONS',
  'CATEGORY_SOCIAL',
  'CATEGORY_UPDATES',
  'CATEGORY_FORUMS',
]);

/** A Gmail message resource (format=metadata) as normalised header facts. */
export function toMessageMeta(message: gmail_v1.Schema$Message): MessageMeta | null {
  if (!message.id || !message.internalDate) return null;
  // No closure per message: run through tsx, each named one costs a call to name it (~0.5 µs).
  const headers = new Map<string, string>();
  for (const header of message.payload?.headers ?? []) {
    const name = header.name?.toLowerCase();
    // First occurrence wins: a duplicated From is a spoofing trick, the first is what clients show.
    if (name && header.value != null && !headers.has(name)) headers.set(name, header.value);
  }
  const labels = message.labelIds ?? [];
  const extraHeaders: Record<string, string> = {};
  for (const name of EXTRA_HEADERS) {
    const value = headers.get(name);
    if (value !== undefined) extraHeaders[name] = value;
  }
  return {
    providerId: message.id,
    threadId: message.threadId ?? null,
    internetMessageId: splitMessageIds(headers.get('message-id'))[0] ?? null,
    inReplyTo: splitMessageIds(headers.get('in-reply-to'))[0] ?? null,
    references: splitMessageIds(headers.get('references')),
    at: new Date(Number(message.internalDate)),
    direction: labels.includes('SENT') ? 'sent' : 'received',
    from: headers.get('from') ?? null,
    to: headers.get('to') ?? null,
    cc: headers.get('cc') ?? null,
    bcc: headers.get('bcc') ?? null,
    replyTo: headers.get('reply-to') ?? null,
    subject: headers.get('subject') ?? null,
    labels,
    listId: headers.get('list-id') ?? null,
    listUnsubscribe: headers.get('list-unsubscribe') ?? null,
    autoSubmitted: headers.get('auto-submitted') ?? null,
    precedence: headers.get('precedence') ?? null,
    category: labels.find((l) => CATEGORY_LABELS.has(l)) ?? null,
    extraHeaders,
  };
}

/** Drafts are not mail anyone exchanged; spam and trash are not relationships. */
export function isSkippedMessage(labels: readonly string[] | null | undefined): boolean {
  return (labels ?? []).some((l) => l === 'DRAFT' || l === 'SPAM' || l === 'TRASH');
}
