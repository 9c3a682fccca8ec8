import type { ContactInteraction } from './aggregate-contact.ts';

/** A stored interaction as read back for contact recomputation. */
export interface StoredInteraction {
  id: string | bigint;
  at: Date;
  direction: 'sent' | 'received';
  recipientCount: number;
  automatedReason: string | null;
  subject: string | null;
  threadId: string | null;
  internetMessageId: string | null;
  counterparties: readonly string[];
  counterpartyNames: readonly string[];
  /** canonicalAddress of each counterparty, same order. */
  counterpartyKeys: readonly string[];
}

export interface GroupedInteractions {
  /** Each person's messages, once each. */
  byPerson: Map<string, ContactInteraction[]>;
  /** Each person's addresses as they appeared in mail (every variant of their mailboxes). */
  addresses: Map<string, Set<string>>;
}

/**
 * Splits interactions among people. `groups` maps each person (a contact id, or a key for a
 * not-yet contact) to the canonical keys of the mailboxes they own. A message counts once per
 * person however many of their addresses it names, and one Message-ID counts once however many
 * copies the mailboxes hold (the same mail in two connected accounts or two folders). The copy
 * kept is chosen by content, not arrival, so the result never depends on the order mail was stored in.
 */
export function groupInteractions(
  rows: readonly StoredInteraction[],
  groups: ReadonlyMap<string, ReadonlySet<string>>,
): GroupedInteractions {
  const groupOf = new Map<string, string>();
  for (const [person, keys] of groups) for (const key of keys) groupOf.set(key, person);

  const chosen = new Map<string, Map<string, { row: StoredInteraction; name: string | null }>>();
  const addresses = new Map<string, Set<string>>();
  for (const person of groups.keys()) {
    chosen.set(person, new Map());
    addresses.set(person, new Set());
  }
  for (const row of rows) {
    row.counterpartyKeys.forEach((key, index) => {
      const person = groupOf.get(key);
      const messages = person === undefined ? undefined : chosen.get(person);
      if (person === undefined || !messages) return;
      const address = row.counterparties[index];
      if (address) addresses.get(person)?.add(address);
      const identity = row.internetMessageId ?? `row:${String(row.id)}`;
      const current = messages.get(identity);
      if (!current || preferred(row, current.row)) {
        messages.set(identity, { row, name: row.counterpartyNames[index] || null });
      }
    });
  }

  const byPerson = new Map<string, ContactInteraction[]>();
  for (const [person, messages] of chosen) {
    byPerson.set(
      person,
      [...messages.values()].map(({ row, name }) => ({
        at: row.at,
        direction: row.direction,
        recipientCount: row.recipientCount,
        automatedReason: row.automatedReason,
        subject: row.subject,
        threadId: row.threadId,
        name,
      })),
    );
  }
  return { byPerson, addresses };
}

/** Between two copies of one message: the earlier, then the smaller id (a total, content-only order). */
function preferred(candidate: StoredInteraction, current: StoredInteraction): boolean {
  const byTime = candidate.at.getTime() - current.at.getTime();
  if (byTime !== 0) return byTime < 0;
  return String(candidate.id) < String(current.id);
}
