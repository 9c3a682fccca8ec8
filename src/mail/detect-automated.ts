import type { MessageMeta } from '../providers/types.ts';
import { machineSenderReason } from './classify-sender.ts';
import type { ParsedAddress } from './parse-addresses.ts';

export type AutomatedReason =
  | 'list-id'
  | 'list-unsubscribe'
  | 'precedence'
  | 'auto-submitted'
  | 'auto-reply'
  | 'bounce'
  | 'no-reply'
  | 'category';

/**
 * Says why a message is machine mail, or null when it may be from a person. The first matching
 * signal wins, most specific first: bounce (sender or report), auto-reply, auto-submitted, null
 * return path, list headers, precedence, machine sender, provider category.
 *
 * The user's own sent mail is never automated unless its Auto-Submitted says so: list headers on
 * a sent copy only mean the user posted to a list, and categories and senders describe other
 * people's mail. A received message without a From is not flagged here; it has no counterparty.
 */
export function automatedReason(meta: MessageMeta, from: ParsedAddress | null): AutomatedReason | null {
  if (meta.direction === 'sent') return isAutoSubmitted(meta.autoSubmitted) ? 'auto-submitted' : null;

  const headers = lowerCaseHeaders(meta.extraHeaders);
  const sender = from ? machineSenderReason(from.address) : null;
  if (sender === 'bounce' || isReport(headers.get('content-type'))) return 'bounce';
  if (isAutoReply(meta, headers)) return 'auto-reply';
  if (isAutoSubmitted(meta.autoSubmitted)) return 'auto-submitted';
  if (isNullReturnPath(headers.get('return-path'))) return 'bounce';
  if (hasValue(meta.listId)) return 'list-id';
  if (hasValue(meta.listUnsubscribe)) return 'list-unsubscribe';
  if (BULK_PRECEDENCE.has(lower(meta.precedence))) return 'precedence';
  if (sender === 'no-reply') return 'no-reply';
  if (isBulkCategory(meta)) return 'category';
  return null;
}

/** RFC 3834: any Auto-Submitted value other than "no" marks machine-generated mail. */
export function isAutoSubmitted(value: string | null): boolean {
  const keyword = lower(value).split(';')[0]?.trim() ?? '';
  return keyword.length > 0 && keyword !== 'no';
}

const BULK_PRECEDENCE = new Set(['bulk', 'list', 'junk']);

const GMAIL_BULK_CATEGORIES = new Set([
  'CATEGORY_PROMOTIONS',
  'CATEGORY_SOCIAL',
  'CATEGORY_UPDATES',
  'CATEGORY_FORUMS',
]);

/** Headers that a responder sets (Exchange, Sieve vacation); "yes"-style values only. */
const AUTO_REPLY_HEADERS = ['x-autoreply', 'x-autorespond', 'x-autoresponder'];

/**
 * Headers that accompany Exchange out-of-office replies but also some ordinary mail, so they
 * only count together with an out-of-office subject.
 */
const AUTO_REPLY_HINT_HEADERS = ['x-auto-response-suppress', 'x-ms-exchange-inbox-rules-loop'];

/** Subject openings of out-of-office replies in common client languages. */
const AUTO_REPLY_SUBJECT_REGEX =
  /^\s*(?:auto(?:matic)?[- ]?reply|out of (?:the )?office|abwesenheitsnotiz|réponse automatique|respuesta automática|risposta automatica)\b/i;

function isAutoReply(meta: MessageMeta, headers: ReadonlyMap<string, string>): boolean {
  if (AUTO_REPLY_HEADERS.some((name) => isAffirmative(headers.get(name)))) return true;
  if (lower(meta.precedence) === 'auto_reply') return true;
  // The subject alone is not enough: people write "Out of office next week" to each other.
  if (!AUTO_REPLY_SUBJECT_REGEX.test(meta.subject ?? '')) return false;
  return (
    AUTO_REPLY_HINT_HEADERS.some((name) => headers.has(name)) || isNullReturnPath(headers.get('return-path'))
  );
}

function isBulkCategory(meta: MessageMeta): boolean {
  if (meta.labels.some((label) => GMAIL_BULK_CATEGORIES.has(label.toUpperCase()))) return true;
  // Outlook's inferenceClassification "other" is only the non-Focused tab: people land there too
  // (a first message, a colleague Outlook has not learnt yet), so it never marks mail automated.
  return GMAIL_BULK_CATEGORIES.has((meta.category ?? '').trim().toUpperCase());
}

/** Delivery and read reports (RFC 6522) are multipart/report. */
function isReport(contentType: string | undefined): boolean {
  return lower(contentType).trim().startsWith('multipart/report');
}

function isNullReturnPath(value: string | undefined): boolean {
  return value !== undefined && value.replace(/\s+/g, '') === '<>';
}

function isAffirmative(value: string | undefined): boolean {
  if (value === undefined) return false;
  const v = value.trim().toLowerCase();
  return v !== 'no' && v !== 'false' && v !== '0';
}

function lowerCaseHeaders(headers: Record<string, string>): Map<string, string> {
  const map = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) map.set(name.toLowerCase(), value);
  return map;
}

function hasValue(value: string | null): boolean {
  return value !== null && value.trim().length > 0;
}

function lower(value: string | null | undefined): string {
  return (value ?? '').trim().toLowerCase();
}
