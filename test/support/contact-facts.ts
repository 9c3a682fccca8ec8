import type { Contact, ContactAddress } from '../../src/lib/prisma.ts';

/**
 * A contact's facts as tests compare them, addresses sorted: everything a recompute or the user
 * sets, but not ids, row times or which address made the contact (its `source`: which of a
 * person's spellings was met first, so it depends on arrival order by design).
 */
export function contactFacts(c: Contact & { addresses: Pick<ContactAddress, 'address'>[] }) {
  return {
    addresses: c.addresses.map((a) => a.address).sort(),
    name: c.name,
    firstContactAt: c.firstContactAt,
    lastContactAt: c.lastContactAt,
    lastSentAt: c.lastSentAt,
    lastReceivedAt: c.lastReceivedAt,
    sentCount: c.sentCount,
    receivedCount: c.receivedCount,
    exchangeDays: c.exchangeDays,
    inferredCadenceDays: c.inferredCadenceDays,
    cadenceDays: c.cadenceDays,
    lastSubject: c.lastSubject,
    lastThreadId: c.lastThreadId,
    mutedAt: c.mutedAt,
    snoozedUntil: c.snoozedUntil,
  };
}

/** contactFacts of every contact, in the order of their addresses. */
export function contactsFacts(contacts: Parameters<typeof contactFacts>[0][]) {
  return contacts.map(contactFacts).sort((a, b) => a.addresses.join().localeCompare(b.addresses.join()));
}
