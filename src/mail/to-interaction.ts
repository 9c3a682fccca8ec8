import type { MessageMeta } from '../providers/types.ts';
import { canonicalAddress } from './canonical-address.ts';
import { machineSenderReason } from './classify-sender.ts';
import { type AutomatedReason, automatedReason } from './detect-automated.ts';
import { MAX_ADDRESSES, normalizeAddress, type ParsedAddress, parseAddressList } from './parse-addresses.ts';

/** What one message says about the user's relationships, ready to be stored as an interaction. */
export interface InteractionFacts {
  direction: 'sent' | 'received';
  fromAddress: string | null;
  fromName: string | null;
  /** The other people in the exchange: recipients of sent mail, the sender of received mail. */
  counterparties: string[];
  /** Display names aligned with counterparties, '' when the header gave none. */
  counterpartyNames: string[];
  /** Distinct To + Cc + Bcc mailboxes, the user's own included: how "group" the message was. */
  recipientCount: number;
  /** Received mail: one of the user's addresses is in To (Cc alone asks no reply). Sent: true. */
  addressedToUser: boolean;
  /**
   * Received mail not addressed to the user: the canonical keys of its To, so that learning an
   * alias later can judge it again (judgeAgainAsOwn). Empty otherwise.
   */
  toKeys: string[];
  automatedReason: AutomatedReason | null;
}

/**
 * Turns one message's headers into interaction facts. A message is 'sent' when the provider
 * filed it as sent or its From is one of the user's own addresses (mail sent from another client
 * and synced in, or a copy in the inbox). `own` may hold addresses in any case; they are
 * normalised here, and own addresses are never counterparties.
 */
export function toInteractionFacts(meta: MessageMeta, own: ReadonlySet<string>): InteractionFacts {
  const ownAddresses = normalizeOwn(own);
  const from = parseAddressList(meta.from)[0] ?? null;
  const isOwnFrom = from !== null && isOwnAddress(ownAddresses, from.address);
  const direction = meta.direction === 'sent' || isOwnFrom ? 'sent' : 'received';

  const toList = parseAddressList(meta.to);
  const recipients = uniqueRecipients([toList, parseAddressList(meta.cc), parseAddressList(meta.bcc)]);
  // Detection judges the message as the user sees it, so an own-From copy counts as sent (the
  // message is copied only then).
  const reason = automatedReason(meta.direction === direction ? meta : { ...meta, direction }, from);
  const failed = reason === 'bounce' ? failedRecipients(meta, ownAddresses) : [];
  // A bounce is about the address that failed, not the mailer-daemon that reported it.
  const others =
    failed.length > 0
      ? failed
      : direction === 'sent'
        ? // Answering a no-reply or notification address does not make a person of it.
          recipients.filter(
            (r) => !isOwnAddress(ownAddresses, r.address) && machineSenderReason(r.address) === null,
          )
        : from !== null && !isOwnFrom
          ? [from]
          : [];

  const addressedToUser = direction === 'sent' || toList.some((r) => isOwnAddress(ownAddresses, r.address));
  return {
    direction,
    fromAddress: from?.address ?? null,
    fromName: from?.name ? from.name : null,
    counterparties: others.map((r) => r.address),
    counterpartyNames: others.map((r) => r.name),
    recipientCount: recipients.length,
    addressedToUser,
    toKeys: addressedToUser ? [] : [...new Set(toList.map((r) => canonicalAddress(r.address)))],
    automatedReason: reason,
  };
}

/**
 * Gmail variants of the user's own address (dots, +tags, googlemail.com) are the user too. A
 * function of the module, not a closure per message: run through tsx, naming one costs ~0.5 µs.
 */
function isOwnAddress(ownAddresses: ReadonlySet<string>, address: string): boolean {
  return ownAddresses.has(address) || ownAddresses.has(canonicalAddress(address));
}

/** The addresses a delivery failure report names (X-Failed-Recipients), never the user's own. */
function failedRecipients(meta: MessageMeta, ownAddresses: ReadonlySet<string>): ParsedAddress[] {
  const header = meta.extraHeaders['x-failed-recipients'];
  return parseAddressList(header).filter((r) => !isOwnAddress(ownAddresses, r.address));
}

/** To, then Cc, then Bcc, each address once (the first name seen wins), capped like one header. */
function uniqueRecipients(headers: readonly (readonly ParsedAddress[])[]): ParsedAddress[] {
  const seen = new Set<string>();
  const result: ParsedAddress[] = [];
  for (const header of headers) {
    for (const mailbox of header) {
      if (seen.has(mailbox.address)) continue;
      seen.add(mailbox.address);
      result.push(mailbox);
      if (result.length >= MAX_ADDRESSES) return result;
    }
  }
  return result;
}

/**
 * The user's own addresses, normalised, with the canonical key of each: what an address is
 * compared with to tell whether it is the user's. A sync builds its own-address set once and never
 * changes it: normalised once, not per message.
 */
const ownCache = new WeakMap<ReadonlySet<string>, ReadonlySet<string>>();
export function normalizeOwn(own: ReadonlySet<string>): ReadonlySet<string> {
  const cached = ownCache.get(own);
  if (cached) return cached;
  const result = new Set<string>();
  for (const address of own) {
    const normal = normalizeAddress(address);
    if (normal !== null) result.add(normal).add(canonicalAddress(normal));
  }
  ownCache.set(own, result);
  return result;
}
