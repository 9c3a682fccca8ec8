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
}

/**
 * Splits interactions among people. `groups` maps each person (a contact id, or a key for a
 * not-yet contact) to the addresses they own. A message counts once per person however many of
 * their addresses it names, and one Message-ID counts once however many copies the mailboxes
 * hold (the same mail in two connected accounts or two folders). The copy kept is chosen by
 * content, not arrival, so the result never depends on the order mail was stored in.
 */
export function groupInteractions(
  rows: readonly StoredInteraction[],
  groups: ReadonlyMap<string, ReadonlySet<string>>,
): Map<string, ContactInteraction[]> {
  const groupOf = new Map<string, string>();
  for (const [key, addresses] of groups) for (const address of addresses) groupOf.set(address, key);

  // Per person: one entry per message identity (Message-ID, else the row itself).
  const chosen = new Map<string, Map<string, { row: StoredInteraction; name: string | null }>>();
  for (const key of groups.keys()) chosen.set(key, new Map());
  for (const row of rows) {
    row.counterparties.forEach((address, index) => {
      const key = groupOf.get(address);
      const messages = key === undefined ? undefined : chosen.get(key);
      if (!messages) return;
      const identity = row.internetMessageId ?? `row:${String(row.id)}`;
      const current = messages.get(identity);
      if (!current || preferred(row, current.row)) {
        messages.set(identity, { row, name: row.counterpartyNames[index] || null });
      }
    });
  }

  const result = new Map<string, ContactInteraction[]>();
  for (const [key, messages] of chosen) {
    result.set(
      key,
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
  return result;
}

/** Between two copies of one message: the earlier, then the smaller id (a total, content-only order). */
function preferred(candidate: StoredInteraction, current: StoredInteraction): boolean {
  const byTime = candidate.at.getTime() - current.at.getTime();
  if (byTime !== 0) return byTime < 0;
  return String(candidate.id) < String(current.id);
}
