import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ownAddresses } from '../../src/accounts/account-store.ts';
import { refreshContacts } from '../../src/contacts/contact-store.ts';
import { refreshDirtyContacts } from '../../src/contacts/refresh-dirty-contacts.ts';
import type { PrismaClient } from '../../src/lib/prisma.ts';
import { isSkippedMessage, toMessageMeta } from '../../src/providers/gmail/to-message-meta.ts';
import type { MessageMeta } from '../../src/providers/types.ts';
import { storeInteractions } from '../../src/sync/store-interactions.ts';
import { buildSampleMailbox, SAMPLE_OWNER } from '../fixtures/sample-mailbox.ts';
import { contactsFacts } from '../support/contact-facts.ts';
import { createTestDatabase } from '../support/test-database.ts';

const now = new Date('2026-11-20T10:00:00Z');
const sample = buildSampleMailbox({ owner: SAMPLE_OWNER.email, ownerName: SAMPLE_OWNER.name, now });
const metas: MessageMeta[] = sample.messages
  .filter((m) => !isSkippedMessage(m.labelIds))
  .map((m) =>
    toMessageMeta({
      id: m.id,
      threadId: m.threadId,
      labelIds: m.labelIds,
      internalDate: String(m.internalDate),
      payload: { headers: m.headers },
    }),
  )
  .filter((m): m is MessageMeta => m !== null);

/**
 * How contacts are recomputed: after every page (change pages), or only from the dirty marks
 * after the pages `refreshAfter` names and once at the end (a backfill's chunks).
 */
type Recompute = { kind: 'page' } | { kind: 'dirty'; refreshAfter: ReadonlySet<number> };

/** Stores messages page by page through the same path as sync, and reads the contacts back. */
async function ingest(pages: MessageMeta[][], recompute: Recompute = { kind: 'page' }) {
  const db = await createTestDatabase();
  try {
    const contacts = await storeAll(db.prisma, pages, recompute);
    // Every mark was consumed by the recompute that read it.
    if (recompute.kind === 'dirty') expect(await db.prisma.dirtyAddress.count()).toBe(0);
    return contacts;
  } finally {
    await db.drop();
  }
}

async function storeAll(prisma: PrismaClient, pages: MessageMeta[][], recompute: Recompute) {
  const user = await prisma.user.create({ data: { email: SAMPLE_OWNER.email } });
  const account = await prisma.mailAccount.create({
    data: { userId: user.id, provider: 'gmail', email: SAMPLE_OWNER.email, aliases: sample.expected.aliases },
  });
  const own = await ownAddresses(prisma, user.id);
  const options = { groupSizeLimit: 10, own };
  for (const [index, page] of pages.entries()) {
    const stored = await storeInteractions(prisma, { userId: user.id, accountId: account.id }, page, own);
    if (recompute.kind === 'page') await refreshContacts(prisma, user.id, stored.touchedAddresses, options);
    else if (recompute.refreshAfter.has(index)) await refreshDirtyContacts(prisma, user.id, options);
  }
  if (recompute.kind === 'dirty') await refreshDirtyContacts(prisma, user.id, options);
  const rows = await prisma.contact.findMany({ include: { addresses: true } });
  return contactsFacts(rows);
}

function paginate<T>(items: readonly T[], sizes: readonly number[]): T[][] {
  const pages: T[][] = [];
  let at = 0;
  for (let i = 0; at < items.length; i++) {
    const size = sizes[i % sizes.length] ?? 100;
    pages.push(items.slice(at, at + size));
    at += size;
  }
  return pages;
}

describe('contacts do not depend on how mail arrives', () => {
  it('any order, any page size, repeated pages and second copies give the same contacts', async () => {
    const baseline = await ingest([metas]);
    expect(baseline.length).toBe(sample.expected.contacts.length);
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(metas, { minLength: metas.length, maxLength: metas.length }),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 5 }),
        fc.subarray(metas, { maxLength: 40 }),
        async (shuffled, sizes, repeated) => {
          // A page delivered twice (same provider ids) and another provider's copy of some
          // messages (same Message-ID, new provider id) must change nothing.
          const copies = repeated.map((m) => ({ ...m, providerId: `copy-${m.providerId}` }));
          const pages = [...paginate([...shuffled, ...copies], sizes), repeated];
          expect(await ingest(pages)).toEqual(baseline);
        },
      ),
      { numRuns: 4 },
    );
  }, 180_000);

  it('recomputing only from dirty marks, at any chunk ends, gives the same contacts as every page', async () => {
    const baseline = await ingest([metas]);
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(metas, { minLength: metas.length, maxLength: metas.length }),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 5 }),
        fc.subarray(metas, { maxLength: 40 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 30 }), { maxLength: 6 }),
        async (shuffled, sizes, repeated, ends) => {
          const copies = repeated.map((m) => ({ ...m, providerId: `copy-${m.providerId}` }));
          const pages = [...paginate([...shuffled, ...copies], sizes), repeated];
          expect(await ingest(pages, { kind: 'dirty', refreshAfter: new Set(ends) })).toEqual(baseline);
        },
      ),
      { numRuns: 4 },
    );
  }, 180_000);
});
