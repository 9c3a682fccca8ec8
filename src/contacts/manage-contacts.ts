import { AppError } from '../lib/errors.ts';
import type { Contact, ContactAddress, PrismaClient } from '../lib/prisma.ts';
import { canonicalAddress } from '../mail/canonical-address.ts';
import { normalizeAddress } from '../mail/normalize-address.ts';
import { refreshContacts } from './contact-store.ts';

export type ContactWithAddresses = Contact & { addresses: ContactAddress[] };

/**
 * The contact a person means by an address (any of its variants) or by a name (a unique,
 * case-insensitive match). An ambiguous name lists the candidates, so the user can be precise.
 */
export async function findContact(
  prisma: PrismaClient,
  userId: string,
  query: string,
): Promise<ContactWithAddresses> {
  const address = normalizeAddress(query);
  if (address) {
    const row = await prisma.contactAddress.findFirst({
      where: { userId, OR: [{ address }, { canonical: canonicalAddress(address) }] },
      include: { contact: { include: { addresses: true } } },
    });
    if (row) return row.contact;
    throw new AppError(
      'CONTACT_NOT_FOUND',
      `${address} is not one of your contacts (touchbase contacts why ${address} says why)`,
    );
  }
  const matches = await prisma.contact.findMany({
    where: { userId, name: { contains: query.trim(), mode: 'insensitive' } },
    include: { addresses: true },
    take: 6,
  });
  const exact = matches.filter((c) => c.name?.toLowerCase() === query.trim().toLowerCase());
  const [only] = exact.length === 1 ? exact : matches;
  if (matches.length === 0 || !only)
    throw new AppError('CONTACT_NOT_FOUND', `no contact is called "${query}"`);
  if (exact.length !== 1 && matches.length > 1) {
    const names = matches.map((c) => `${c.name} <${c.addresses[0]?.address ?? '?'}>`).join(', ');
    throw new AppError('CONTACT_AMBIGUOUS', `"${query}" could be ${names}: say which by address`);
  }
  return only;
}

/** Muted people never appear in a digest and never come back by themselves; their mail still counts. */
export async function setMuted(
  prisma: PrismaClient,
  userId: string,
  query: string,
  muted: boolean,
  now: Date,
): Promise<ContactWithAddresses> {
  const contact = await findContact(prisma, userId, query);
  return prisma.contact.update({
    where: { id: contact.id },
    data: { mutedAt: muted ? (contact.mutedAt ?? now) : null },
    include: { addresses: true },
  });
}

/** An explicit rhythm for one person (null: back to the inferred one). */
export async function setCadence(
  prisma: PrismaClient,
  userId: string,
  query: string,
  days: number | null,
): Promise<ContactWithAddresses> {
  const contact = await findContact(prisma, userId, query);
  return prisma.contact.update({
    where: { id: contact.id },
    data: { cadenceDays: days },
    include: { addresses: true },
  });
}

/**
 * B's addresses become A's, for good: sync only ever creates contacts for addresses nobody owns,
 * so a merge survives every re-sync. A keeps its settings (mute, cadence); the aggregates are
 * recomputed over both people's mail.
 */
export async function mergeContacts(
  prisma: PrismaClient,
  userId: string,
  intoQuery: string,
  fromQuery: string,
  options: { groupSizeLimit: number; own: ReadonlySet<string> },
): Promise<ContactWithAddresses> {
  const into = await findContact(prisma, userId, intoQuery);
  const from = await findContact(prisma, userId, fromQuery);
  if (into.id === from.id)
    throw new AppError('MERGE_SAME', `${intoQuery} and ${fromQuery} are already one contact`);
  return mergeContactRows(prisma, userId, into, from, options);
}

/** mergeContacts for two contacts already found (and known to be the user's). */
export async function mergeContactRows(
  prisma: PrismaClient,
  userId: string,
  into: ContactWithAddresses,
  from: ContactWithAddresses,
  options: { groupSizeLimit: number; own: ReadonlySet<string> },
): Promise<ContactWithAddresses> {
  if (into.id === from.id) throw new AppError('MERGE_SAME', 'these are already one contact');
  await prisma.$transaction([
    prisma.contactAddress.updateMany({
      where: { contactId: from.id },
      data: { contactId: into.id, source: 'merged' },
    }),
    prisma.contact.delete({ where: { id: from.id } }),
  ]);
  const addresses = [...into.addresses, ...from.addresses].map((a) => a.address);
  await refreshContacts(prisma, userId, addresses, options);
  return prisma.contact.findUniqueOrThrow({ where: { id: into.id }, include: { addresses: true } });
}
