import type { MessageMeta } from '../providers/types.ts';
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
  const isOwnFrom = from !== null && ownAddresses.has(from.address);
  const direction = meta.direction === 'sent' || isOwnFrom ? 'sent' : 'received';

  const recipients = uniqueRecipients([meta.to, meta.cc, meta.bcc]);
  // Detection judges the message as the user sees it, so an own-From copy counts as sent.
  const reason = automatedReason({ ...meta, direction }, from);
  const failed = reason === 'bounce' ? failedRecipients(meta, ownAddresses) : [];
  // A bounce is about the address that failed, not the mailer-daemon that reported it.
  const others =
    failed.length > 0
      ? failed
      : direction === 'sent'
        ? recipients.filter((r) => !ownAddresses.has(r.address))
        : from !== null && !isOwnFrom
          ? [from]
          : [];

  return {
    direction,
    fromAddress: from?.address ?? null,
    fromName: from?.name ? from.name : null,
    counterparties: others.map((r) => r.address),
    counterpartyNames: others.map((r) => r.name),
    recipientCount: recipients.length,
    addressedToUser:
      direction === 'sent' || parseAddressList(meta.to).some((r) => ownAddresses.has(r.address)),
    automatedReason: reason,
  };
}

/** The addresses a delivery failure report names (X-Failed-Recipients), never the user's own. */
function failedRecipients(meta: MessageMeta, own: ReadonlySet<string>): ParsedAddress[] {
  const header = meta.extraHeaders['x-failed-recipients'];
  return parseAddressList(header).filter((r) => !own.has(r.address));
}

/** To, then Cc, then Bcc, each address once (the first name seen wins), capped like one header. */
function uniqueRecipients(headers: readonly (string | null)[]): ParsedAddress[] {
  const seen = new Set<string>();
  const result: ParsedAddress[] = [];
  for (const header of headers) {
    for (const mailbox of parseAddressList(header)) {
      if (seen.has(mailbox.address)) continue;
      seen.add(mailbox.address);
      result.push(mailbox);
      if (result.length >= MAX_ADDRESSES) return result;
    }
  }
  return result;
}

function normalizeOwn(own: ReadonlySet<string>): ReadonlySet<string> {
  const result = new Set<string>();
  for (const address of own) {
    const normal = normalizeAddress(address);
    if (normal !== null) result.add(normal);
  }
  return result;
}
