import { EXTRA_HEADERS, splitMessageIds } from '../header-names.ts';
import type { MessageMeta } from '../types.ts';

/**
 * The Graph message fields touchbase selects: headers inference needs, never a body. Mail.Read
 * adds internetMessageHeaders (List-Id, Auto-Submitted...); Mail.ReadBasic refuses them.
 */
export const HEADERS_FIELD = 'internetMessageHeaders';
export const MESSAGE_SELECT = [
  'id',
  'conversationId',
  'internetMessageId',
  'receivedDateTime',
  'sentDateTime',
  'from',
  'sender',
  'toRecipients',
  'ccRecipients',
  'bccRecipients',
  'replyTo',
  'subject',
  'inferenceClassification',
  'isDraft',
] as const;

interface GraphRecipient {
  emailAddress?: { name?: string | null; address?: string | null } | null;
}

/** A message as Graph's delta returns it (only the selected fields), or a removal. */
export interface GraphMessage {
  id: string;
  '@removed'?: { reason?: string };
  conversationId?: string | null;
  internetMessageId?: string | null;
  receivedDateTime?: string | null;
  sentDateTime?: string | null;
  from?: GraphRecipient | null;
  sender?: GraphRecipient | null;
  toRecipients?: GraphRecipient[] | null;
  ccRecipients?: GraphRecipient[] | null;
  bccRecipients?: GraphRecipient[] | null;
  replyTo?: GraphRecipient[] | null;
  subject?: string | null;
  inferenceClassification?: string | null;
  internetMessageHeaders?: { name?: string; value?: string }[] | null;
  isDraft?: boolean | null;
}

/**
 * A Graph message as normalised header facts. `folder` is the well-known name of the folder it
 * was listed in (or its display name): messages in Sent Items are the user's own. The provider
 * id is the Internet Message-ID: Outlook gives a moved message a new Graph id, and one message
 * may sit in two folders (sent to oneself), but it is one exchange.
 */
export function toMessageMeta(
  message: GraphMessage,
  folder: { label: string; sent: boolean },
): MessageMeta | null {
  if (message['@removed'] || message.isDraft) return null;
  const sent = folder.sent;
  const when = sent
    ? (message.sentDateTime ?? message.receivedDateTime)
    : (message.receivedDateTime ?? message.sentDateTime);
  if (!when) return null;
  const at = new Date(when);
  if (Number.isNaN(at.getTime())) return null;
  const headers = new Map<string, string>();
  for (const header of message.internetMessageHeaders ?? []) {
    const name = header.name?.toLowerCase();
    // First occurrence wins, as for Gmail: a duplicated header is a spoofing trick.
    if (name && header.value != null && !headers.has(name)) headers.set(name, header.value);
  }
  const get = (name: string) => headers.get(name) ?? null;
  const extraHeaders: Record<string, string> = {};
  for (const name of EXTRA_HEADERS) {
    const value = headers.get(name);
    if (value !== undefined) extraHeaders[name] = value;
  }
  const internetMessageId =
    splitMessageIds(message.internetMessageId)[0] ?? message.internetMessageId ?? null;
  return {
    providerId: internetMessageId ?? `graph:${message.id}`,
    threadId: message.conversationId ?? null,
    internetMessageId,
    inReplyTo: splitMessageIds(get('in-reply-to'))[0] ?? null,
    references: splitMessageIds(get('references')),
    at,
    direction: sent ? 'sent' : 'received',
    from: formatMailbox(message.from ?? message.sender),
    to: formatList(message.toRecipients),
    cc: formatList(message.ccRecipients),
    bcc: formatList(message.bccRecipients),
    replyTo: formatList(message.replyTo),
    subject: message.subject ?? null,
    labels: [folder.label],
    listId: get('list-id'),
    listUnsubscribe: get('list-unsubscribe'),
    autoSubmitted: get('auto-submitted'),
    precedence: get('precedence'),
    // "focused" or "other" (the Other tab: not Focused, which is not the same as automated).
    category: message.inferenceClassification ?? null,
    extraHeaders,
  };
}

/** Graph's structured address as the header text src/mail parses: `"Name" <address>`. */
function formatMailbox(recipient: GraphRecipient | null | undefined): string | null {
  const address = recipient?.emailAddress?.address?.trim();
  if (!address) return null;
  const name = recipient?.emailAddress?.name?.trim();
  if (!name || name.toLowerCase() === address.toLowerCase()) return `<${address}>`;
  return `"${name.replace(/["\\]/g, (c) => `\\${c}`)}" <${address}>`;
}

function formatList(recipients: GraphRecipient[] | null | undefined): string | null {
  const parts = (recipients ?? []).map(formatMailbox).filter((p): p is string => p !== null);
  return parts.length > 0 ? parts.join(', ') : null;
}
