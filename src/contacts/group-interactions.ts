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
  const grouper = new InteractionGrouper(groups);
  grouper.add(rows);
  return grouper.result();
}

/**
 * groupInteractions a slice of rows at a time: each slice's rows can be dropped once added, and
 * only what a person's aggregate reads is kept of the copy chosen. A close contact's history can
 * be tens of thousands of rows (67,000 at 1M messages); held whole as read, it was most of a
 * recompute's memory (decision 0017).
 */
export class InteractionGrouper {
  private readonly groupOf = new Map<string, string>();
  /** Per person, per message identity, the copy kept so far. */
  private readonly chosen = new Map<string, Map<string, ChosenCopy>>();
  private readonly addresses = new Map<string, Set<string>>();

  constructor(groups: ReadonlyMap<string, ReadonlySet<string>>) {
    for (const [person, keys] of groups) {
      for (const key of keys) this.groupOf.set(key, person);
      this.chosen.set(person, new Map());
      this.addresses.set(person, new Set());
    }
  }

  add(rows: readonly StoredInteraction[]): void {
    for (const row of rows) {
      // The row's identity and what copies are compared by, once for all its counterparties.
      const id = String(row.id);
      const identity = row.internetMessageId ?? `row:${id}`;
      const atMs = row.at.getTime();
      row.counterpartyKeys.forEach((key, index) => {
        const person = this.groupOf.get(key);
        const messages = person === undefined ? undefined : this.chosen.get(person);
        if (person === undefined || !messages) return;
        const address = row.counterparties[index];
        if (address) this.addresses.get(person)?.add(address);
        const current = messages.get(identity);
        if (!current || preferred(atMs, id, current)) {
          messages.set(identity, {
            atMs,
            id,
            interaction: {
              at: row.at,
              direction: row.direction,
              recipientCount: row.recipientCount,
              automatedReason: row.automatedReason,
              subject: row.subject,
              threadId: row.threadId,
              name: row.counterpartyNames[index] || null,
            },
          });
        }
      });
    }
  }

  result(): GroupedInteractions {
    const byPerson = new Map<string, ContactInteraction[]>();
    for (const [person, messages] of this.chosen) {
      byPerson.set(
        person,
        Array.from(messages.values(), (copy) => copy.interaction),
      );
    }
    return { byPerson, addresses: this.addresses };
  }
}

/** The copy of a message kept for a person, and what choosing between copies compares. */
interface ChosenCopy {
  atMs: number;
  id: string;
  interaction: ContactInteraction;
}

/** Between two copies of one message: the earlier, then the smaller id (a total, content-only order). */
function preferred(atMs: number, id: string, current: ChosenCopy): boolean {
  const byTime = atMs - current.atMs;
  if (byTime !== 0) return byTime < 0;
  return id < current.id;
}
