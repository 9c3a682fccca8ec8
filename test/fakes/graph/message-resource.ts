import type { MailStore, StoredMessage } from './mail-store.ts';

/** Properties returned when no $select is given (Graph's default set for message). */
const DEFAULT_PROPERTIES = [
  'createdDateTime',
  'lastModifiedDateTime',
  'changeKey',
  'categories',
  'receivedDateTime',
  'sentDateTime',
  'hasAttachments',
  'internetMessageId',
  'subject',
  'bodyPreview',
  'importance',
  'parentFolderId',
  'conversationId',
  'conversationIndex',
  'isDeliveryReceiptRequested',
  'isReadReceiptRequested',
  'isRead',
  'isDraft',
  'webLink',
  'inferenceClassification',
  'body',
  'sender',
  'from',
  'toRecipients',
  'ccRecipients',
  'bccRecipients',
  'replyTo',
  'flag',
] as const;

/** Only returned when selected. */
const SELECT_ONLY = ['uniqueBody', 'internetMessageHeaders'] as const;

export const MESSAGE_PROPERTIES: readonly string[] = ['id', ...DEFAULT_PROPERTIES, ...SELECT_ONLY];

/** Properties Mail.ReadBasic does not cover (the docs: "except body, previewBody, attachments"). */
export const BODY_PROPERTIES: readonly string[] = [
  'body',
  'uniqueBody',
  'bodyPreview',
  'internetMessageHeaders',
];

const CANONICAL = new Map(MESSAGE_PROPERTIES.map((p) => [p.toLowerCase(), p]));

/**
 * Parses `$select` into canonical property names. Returns a string naming the unknown property
 * when one is not a message property (Graph answers 400 then).
 */
export function parseSelect(raw: string | null): { props: string[] | undefined } | { unknown: string } {
  if (raw === null || raw.trim() === '') return { props: undefined };
  const props: string[] = [];
  for (const part of raw.split(',')) {
    const name = part.trim();
    if (!name) continue;
    const canonical = CANONICAL.get(name.toLowerCase());
    if (!canonical) return { unknown: name };
    if (!props.includes(canonical)) props.push(canonical);
  }
  return { props };
}

export interface RenderOptions {
  select: string[] | undefined;
  bodyAsText: boolean;
  /** Mail.ReadBasic: body-like properties are left out of default renderings */
  basicOnly: boolean;
  baseUrl: string;
}

/** The message as Graph's JSON: `@odata.etag`, `id`, then the requested properties. */
export function renderMessage(store: MailStore, m: StoredMessage, o: RenderOptions): Record<string, unknown> {
  const etag = `W/"${store.changeKeyOf(m)}"`;
  const out: Record<string, unknown> = { '@odata.etag': etag, id: m.id };
  const props = o.select ?? DEFAULT_PROPERTIES.filter((p) => !(o.basicOnly && BODY_PROPERTIES.includes(p)));
  for (const p of props) {
    if (p === 'id') continue;
    const v = property(store, m, p, o);
    if (v !== undefined) out[p] = v;
  }
  return out;
}

function property(store: MailStore, m: StoredMessage, p: string, o: RenderOptions): unknown {
  const s = m.spec;
  switch (p) {
    case 'createdDateTime':
      return m.createdDateTime;
    case 'lastModifiedDateTime':
      return m.lastModifiedDateTime;
    case 'changeKey':
      return store.changeKeyOf(m);
    case 'categories':
      return s.categories ?? [];
    case 'receivedDateTime':
      return s.receivedDateTime;
    case 'sentDateTime':
      return s.sentDateTime;
    case 'hasAttachments':
      return s.hasAttachments ?? false;
    case 'internetMessageId':
      return s.internetMessageId;
    case 'subject':
      return s.subject;
    case 'bodyPreview':
      return (s.body ?? '').replace(/\s+/g, ' ').trim().slice(0, 255);
    case 'importance':
      return s.importance ?? 'normal';
    case 'parentFolderId':
      return m.folderId;
    case 'conversationId':
      return m.conversationId;
    case 'conversationIndex':
      return Buffer.from(m.conversationId.slice(0, 22)).toString('base64');
    case 'isDeliveryReceiptRequested':
    case 'isReadReceiptRequested':
      return false;
    case 'isRead':
      return s.isRead ?? true;
    case 'isDraft':
      return s.isDraft ?? false;
    case 'webLink':
      return `https://outlook.office365.com/owa/?ItemID=${encodeURIComponent(m.id)}&exvsurl=1&viewmodel=ReadMessageItem`;
    case 'inferenceClassification':
      return s.inferenceClassification ?? 'focused';
    case 'body':
      return body(s.body ?? '', o.bodyAsText);
    case 'uniqueBody':
      return body(s.uniqueBody ?? s.body ?? '', o.bodyAsText);
    case 'sender':
      return s.sender ?? s.from;
    case 'from':
      return s.from;
    case 'toRecipients':
      return s.toRecipients;
    case 'ccRecipients':
      return s.ccRecipients ?? [];
    case 'bccRecipients':
      return s.bccRecipients ?? [];
    case 'replyTo':
      return s.replyTo ?? [];
    case 'flag':
      return { flagStatus: 'notFlagged' };
    case 'internetMessageHeaders':
      // Graph leaves the property out when the item has no transport headers (Sent Items).
      return s.internetMessageHeaders;
    default:
      return undefined;
  }
}

function body(text: string, asText: boolean): { contentType: 'text' | 'html'; content: string } {
  if (asText) return { contentType: 'text', content: text };
  const escaped = text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`).replace(/\n/g, '<br>\r\n');
  return {
    contentType: 'html',
    content: `<html><head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body><div dir="ltr">${escaped}</div></body></html>`,
  };
}
