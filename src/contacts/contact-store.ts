import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../lib/prisma.ts';
import { canonicalAddress } from '../mail/canonical-address.ts';
import { aggregateContact, type ContactAggregate } from './aggregate-contact.ts';
import { groupInteractions, type StoredInteraction } from './group-interactions.ts';

/**
 * Recomputes the aggregates of every contact that owns one of `addresses`, and creates contacts
 * for addresses that now qualify (a two-way exchange). Aggregates are recomputed from all stored
 * interactions, never incremented, so the result does not depend on the order mail arrived in.
 * Returns how many contacts were created or updated.
 */
/** The interaction fields contact recomputation reads (StoredInteraction). */
export const STORED_INTERACTION_FIELDS = {
  id: true,
  at: true,
  direction: true,
  recipientCount: true,
  automatedReason: true,
  subject: true,
  threadId: true,
  internetMessageId: true,
  counterparties: true,
  counterpartyNames: true,
  counterpartyKeys: true,
} as const;

export async function refreshContacts(
  prisma: PrismaClient,
  userId: string,
  addresses: readonly string[],
  options: { groupSizeLimit: number; own: ReadonlySet<string> },
): Promise<number> {
  const wanted = [...new Set(addresses)].filter(
    (a) => !options.own.has(a) && !options.own.has(canonicalAddress(a)),
  );
  if (wanted.length === 0) return 0;
  const wantedKeys = [...new Set(wanted.map(canonicalAddress))];

  // Every address of every person a wanted mailbox already belongs to (a merged contact owns
  // several), in one round trip.
  const owned = await prisma.$queryRaw<{ contactId: string; address: string; canonical: string }[]>`
    SELECT a."contactId", a.address, a.canonical FROM contact_addresses a
    WHERE a."contactId" IN (
      SELECT k."contactId" FROM contact_addresses k
      WHERE k."userId" = ${userId}::uuid AND k.canonical = ANY(${wantedKeys}::text[]))`;
  const contactIds = [...new Set(owned.map((row) => row.contactId))];

  // Each group is one person, as the canonical keys of their mailboxes: a contact's, or one new mailbox.
  const groups = new Map<string, Set<string>>();
  const ownedKeys = new Set<string>();
  const ownedAddresses = new Set(owned.map((row) => row.address));
  for (const row of owned) {
    addTo(groups, row.contactId, row.canonical);
    ownedKeys.add(row.canonical);
  }
  for (const key of wantedKeys) if (!ownedKeys.has(key)) groups.set(`new:${key}`, new Set([key]));

  const rows = await readInteractions(
    prisma,
    userId,
    [...groups.values()].flatMap((set) => [...set]),
  );
  const { byPerson, addresses: seen } = groupInteractions(rows, groups);
  // Variants of a known person's mailbox seen in mail (john.smith@ for johnsmith@gmail.com) join them.
  const attached: { contactId: string; address: string; canonical: string }[] = [];
  for (const contactId of contactIds) {
    for (const address of seen.get(contactId) ?? []) {
      if (!ownedAddresses.has(address))
        attached.push({ contactId, address, canonical: canonicalAddress(address) });
    }
  }

  const updates: { id: string; aggregate: ContactAggregate }[] = [];
  const creates: { id: string; addresses: string[]; aggregate: ContactAggregate }[] = [];
  const unqualified: string[] = [];
  for (const [key, set] of groups) {
    const aggregate = aggregateContact(byPerson.get(key) ?? [], { groupSizeLimit: options.groupSizeLimit });
    if (key.startsWith('new:')) {
      const variants = [...(seen.get(key) ?? set)].sort();
      if (aggregate.isContact) creates.push({ id: randomUUID(), addresses: variants, aggregate });
    } else {
      updates.push({ id: key, aggregate });
      if (!aggregate.isContact) unqualified.push(key);
    }
  }
  // Mail that arrived later can undo a contact (the bounce of a typo'd address came in a later
  // page): it goes, unless the user made it theirs (muted, snoozed, a cadence, a merge).
  if (unqualified.length > 0) {
    await prisma.contact.deleteMany({
      where: {
        id: { in: unqualified },
        mutedAt: null,
        snoozedUntil: null,
        cadenceDays: null,
        addresses: { none: { source: 'merged' } },
      },
    });
  }
  if (attached.length > 0) {
    await prisma.contactAddress.createMany({
      data: attached.map((a) => ({ userId, ...a, source: 'auto-merge' })),
      skipDuplicates: true,
    });
  }
  await writeContacts(prisma, userId, creates, updates);
  return creates.length + updates.length;
}

/**
 * The user's own addresses are never contacts: when an address becomes theirs (a new account,
 * a new alias), the contact it made goes, and so does a contact left with no address.
 */
export async function forgetOwnAddresses(
  prisma: PrismaClient,
  userId: string,
  own: ReadonlySet<string>,
): Promise<void> {
  const removed = await prisma.contactAddress.deleteMany({ where: { userId, address: { in: [...own] } } });
  if (removed.count > 0) await prisma.contact.deleteMany({ where: { userId, addresses: { none: {} } } });
}

/**
 * The interactions naming any of `keys`, with only the fields recomputation reads. Raw SQL: this
 * read dominates a backfill, and the ORM's per-row mapping cost more than Postgres did. The GIN
 * index is forced: the planner prices `&&` against a few hundred keys as cheap per row and picks a
 * sequential scan, which on a 100k-row mailbox took 1 s per batch where the index took 0.1 s
 * (and grows with the mailbox, where the index grows with the answer).
 */
async function readInteractions(
  prisma: PrismaClient,
  userId: string,
  keys: readonly string[],
): Promise<StoredInteraction[]> {
  // Interactive, with its own timeout: Prisma's default of 5 s ends a read of a close contact's
  // whole history on a loaded machine (a batch is capped at about 20,000 rows, not at a time).
  const rows = await prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`SET LOCAL enable_seqscan = off`;
      return tx.$queryRaw<StoredInteraction[]>`
        SELECT id, at, direction::text AS direction, "recipientCount", "automatedReason", subject,
          "threadId", "internetMessageId", counterparties, "counterpartyNames", "counterpartyKeys"
        FROM interactions
        WHERE "userId" = ${userId}::uuid AND "counterpartyKeys" && ${keys}::text[]`;
    },
    { timeout: READ_TIMEOUT_MS, maxWait: READ_TIMEOUT_MS },
  );
  return rows;
}

const READ_TIMEOUT_MS = 300_000;

function addTo(groups: Map<string, Set<string>>, key: string, address: string): void {
  const set = groups.get(key) ?? new Set<string>();
  set.add(address);
  groups.set(key, set);
}

async function writeContacts(
  prisma: PrismaClient,
  userId: string,
  creates: { id: string; addresses: string[]; aggregate: ContactAggregate }[],
  updates: { id: string; aggregate: ContactAggregate }[],
): Promise<void> {
  if (creates.length > 0) {
    await prisma.contact.createMany({
      data: creates.map((c) => ({ id: c.id, userId, ...aggregateColumns(c.aggregate) })),
    });
    const claimed = await prisma.contactAddress.createManyAndReturn({
      data: creates.flatMap((c) =>
        // Variants of one mailbox seen together: the first is the person, the rest joined them.
        c.addresses.map((address, index) => ({
          userId,
          contactId: c.id,
          address,
          canonical: canonicalAddress(address),
          source: index === 0 ? 'seen' : 'auto-merge',
        })),
      ),
      skipDuplicates: true,
      select: { contactId: true },
    });
    // Another worker created the same person a moment ago: drop our copy, theirs stands.
    const kept = new Set(claimed.map((c) => c.contactId));
    const orphans = creates.filter((c) => !kept.has(c.id)).map((c) => c.id);
    if (orphans.length) await prisma.contact.deleteMany({ where: { id: { in: orphans } } });
  }
  if (updates.length > 0) {
    const payload = JSON.stringify(updates.map((u) => ({ id: u.id, ...aggregateColumns(u.aggregate) })));
    // One statement for every updated contact, however many a page touched.
    await prisma.$executeRaw`
      UPDATE contacts AS c SET
        name = COALESCE(v.name, c.name),
        "firstContactAt" = v."firstContactAt",
        "lastContactAt" = v."lastContactAt",
        "lastSentAt" = v."lastSentAt",
        "lastReceivedAt" = v."lastReceivedAt",
        "sentCount" = v."sentCount",
        "receivedCount" = v."receivedCount",
        "exchangeDays" = v."exchangeDays",
        "inferredCadenceDays" = v."inferredCadenceDays",
        "lastSubject" = v."lastSubject",
        "lastThreadId" = v."lastThreadId",
        "updatedAt" = now()
      FROM jsonb_to_recordset(${payload}::jsonb) AS v(
        id uuid, name text, "firstContactAt" timestamp(3), "lastContactAt" timestamp(3),
        "lastSentAt" timestamp(3), "lastReceivedAt" timestamp(3), "sentCount" int, "receivedCount" int,
        "exchangeDays" int, "inferredCadenceDays" int, "lastSubject" text, "lastThreadId" text)
      WHERE c.id = v.id AND c."userId" = ${userId}::uuid`;
  }
}

function aggregateColumns(a: ContactAggregate) {
  return {
    name: a.name,
    firstContactAt: a.firstContactAt,
    lastContactAt: a.lastContactAt,
    lastSentAt: a.lastSentAt,
    lastReceivedAt: a.lastReceivedAt,
    sentCount: a.sentCount,
    receivedCount: a.receivedCount,
    exchangeDays: a.exchangeDays,
    inferredCadenceDays: a.inferredCadenceDays,
    lastSubject: a.lastSubject,
    lastThreadId: a.lastThreadId,
  };
}
