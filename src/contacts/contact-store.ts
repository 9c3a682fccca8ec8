import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../lib/prisma.ts';
import { aggregateContact, type ContactAggregate, type ContactInteraction } from './aggregate-contact.ts';

/**
 * Recomputes the aggregates of every contact that owns one of `addresses`, and creates contacts
 * for addresses that now qualify (a two-way exchange). Aggregates are recomputed from all stored
 * interactions, never incremented, so the result does not depend on the order mail arrived in.
 * Returns how many contacts were created or updated.
 */
export async function refreshContacts(
  prisma: PrismaClient,
  userId: string,
  addresses: readonly string[],
  options: { groupSizeLimit: number; own: ReadonlySet<string> },
): Promise<number> {
  const wanted = [...new Set(addresses)].filter((a) => !options.own.has(a));
  if (wanted.length === 0) return 0;

  const known = await prisma.contactAddress.findMany({ where: { userId, address: { in: wanted } } });
  const contactIds = [...new Set(known.map((k) => k.contactId))];
  const owned = contactIds.length
    ? await prisma.contactAddress.findMany({ where: { contactId: { in: contactIds } } })
    : [];
  const knownSet = new Set(known.map((k) => k.address));
  // Each group is one person: an existing contact's addresses, or one address not yet a contact.
  const groups = new Map<string, Set<string>>();
  for (const row of owned) {
    const set = groups.get(row.contactId) ?? new Set<string>();
    set.add(row.address);
    groups.set(row.contactId, set);
  }
  for (const address of wanted) if (!knownSet.has(address)) groups.set(`new:${address}`, new Set([address]));

  const allAddresses = [...groups.values()].flatMap((set) => [...set]);
  const interactions = await prisma.interaction.findMany({
    where: { userId, counterparties: { hasSome: allAddresses } },
    select: {
      id: true,
      at: true,
      direction: true,
      recipientCount: true,
      automatedReason: true,
      subject: true,
      threadId: true,
      counterparties: true,
      counterpartyNames: true,
    },
  });

  const byAddress = new Map<string, ContactInteraction[]>();
  const seen = new Map<string, Set<bigint>>();
  for (const key of groups.keys()) {
    seen.set(key, new Set());
    byAddress.set(key, []);
  }
  const groupOf = new Map<string, string>();
  for (const [key, set] of groups) for (const address of set) groupOf.set(address, key);
  for (const row of interactions) {
    row.counterparties.forEach((address, index) => {
      const key = groupOf.get(address);
      const ids = key === undefined ? undefined : seen.get(key);
      // A message to two of one person's addresses is still one message.
      if (key === undefined || !ids || ids.has(row.id)) return;
      ids.add(row.id);
      byAddress.get(key)?.push({
        at: row.at,
        direction: row.direction,
        recipientCount: row.recipientCount,
        automatedReason: row.automatedReason,
        subject: row.subject,
        threadId: row.threadId,
        name: row.counterpartyNames[index] || null,
      });
    });
  }

  const updates: { id: string; aggregate: ContactAggregate }[] = [];
  const creates: { id: string; address: string; aggregate: ContactAggregate }[] = [];
  for (const [key, set] of groups) {
    const aggregate = aggregateContact(byAddress.get(key) ?? [], { groupSizeLimit: options.groupSizeLimit });
    if (key.startsWith('new:')) {
      if (aggregate.isContact) creates.push({ id: randomUUID(), address: [...set][0] as string, aggregate });
    } else {
      updates.push({ id: key, aggregate });
    }
  }
  await writeContacts(prisma, userId, creates, updates);
  return creates.length + updates.length;
}

async function writeContacts(
  prisma: PrismaClient,
  userId: string,
  creates: { id: string; address: string; aggregate: ContactAggregate }[],
  updates: { id: string; aggregate: ContactAggregate }[],
): Promise<void> {
  if (creates.length > 0) {
    await prisma.contact.createMany({
      data: creates.map((c) => ({ id: c.id, userId, ...aggregateColumns(c.aggregate) })),
    });
    const claimed = await prisma.contactAddress.createManyAndReturn({
      data: creates.map((c) => ({ userId, contactId: c.id, address: c.address })),
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
