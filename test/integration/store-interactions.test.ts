import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshDirtyContacts } from '../../src/contacts/refresh-dirty-contacts.ts';
import type { PrismaClient } from '../../src/lib/prisma.ts';
import type { MessageMeta } from '../../src/providers/types.ts';
import { storeInteractions } from '../../src/sync/store-interactions.ts';
import { createTestDatabase } from '../support/test-database.ts';
import { makeMeta } from '../unit/message-meta.ts';

const OWN = new Set(['me@example.org']);

/**
 * A header cut in the middle of a character leaves a lone UTF-16 surrogate, which Postgres's jsonb
 * refuses. The page is stored anyway, the broken character as U+FFFD, and a page without one is
 * stored as it came.
 */
describe('storeInteractions and broken characters', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let prisma: PrismaClient;
  let owner: { userId: string; accountId: string };

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = db.prisma;
    const user = await prisma.user.create({ data: { email: 'me@example.org' } });
    const account = await prisma.mailAccount.create({
      data: { userId: user.id, provider: 'gmail', email: 'me@example.org' },
    });
    owner = { userId: user.id, accountId: account.id };
  });
  afterAll(async () => {
    await db.drop();
  });

  it('stores a lone surrogate as U+FFFD and keeps whole characters and look-alike text', async () => {
    const page = [
      makeMeta({ providerId: 'cut-high', subject: 'Caf\uD83D', from: '"Ren\uDE00e" <rene@example.com>' }),
      makeMeta({ providerId: 'whole', subject: 'Lunch \uD83D\uDE00 \\ud800 is text' }),
    ];
    const stored = await storeInteractions(prisma, owner, page, OWN);
    expect(stored.inserted).toBe(2);

    const rows = await prisma.interaction.findMany({ orderBy: { providerMessageId: 'asc' } });
    expect(rows.map((r) => [r.providerMessageId, r.subject, r.fromName])).toEqual([
      ['cut-high', 'Caf\uFFFD', 'Ren\uFFFDe'],
      ['whole', 'Lunch \uD83D\uDE00 \\ud800 is text', 'Alice Example'],
    ]);
  });

  it('stores a page of several slices whole, mending only the slice with the broken character', async () => {
    // The page is turned into JSON 200 messages at a time: 450 messages make three slices, the
    // cut character is in the last one.
    const page = Array.from({ length: 450 }, (_, i) =>
      makeMeta({
        providerId: `big-${String(i).padStart(3, '0')}`,
        subject: i === 420 ? 'Cut \uDBFF' : `Note ${i}`,
      }),
    );
    const stored = await storeInteractions(prisma, owner, page, OWN);
    expect(stored.inserted).toBe(450);

    const rows = await prisma.interaction.findMany({
      where: { providerMessageId: { startsWith: 'big-' } },
      orderBy: { providerMessageId: 'asc' },
    });
    expect(rows.map((r) => r.providerMessageId)).toEqual(page.map((m) => m.providerId));
    expect(rows[420]?.subject).toBe('Cut \uFFFD');
    expect(rows[199]?.subject).toBe('Note 199');
    expect(rows[200]?.subject).toBe('Note 200');
  });
});

/**
 * Pages stored at the same time (two workers, or the two halves of a big page) while the dirty
 * marks are being cleared: every statement takes its locks in key order, so none deadlocks, and
 * the contacts come out as a one-page-at-a-time store makes them.
 */
describe('storeInteractions at the same time as other pages and the recompute', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let prisma: PrismaClient;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = db.prisma;
  });
  afterAll(async () => {
    await db.drop();
  });

  it('never deadlocks and stores each message once', async () => {
    const pages = overlappingPages();
    const concurrent = await newOwner(prisma, 'one@example.org');
    let storing = true;
    const clearing = async () => {
      while (storing) await refreshDirtyContacts(prisma, concurrent.userId, { groupSizeLimit: 10, own: OWN });
    };
    const clearers = [clearing(), clearing()];
    try {
      await Promise.all(pages.map((page) => storeInteractions(prisma, concurrent, page, OWN)));
    } finally {
      storing = false;
      await Promise.all(clearers);
    }
    await refreshDirtyContacts(prisma, concurrent.userId, { groupSizeLimit: 10, own: OWN });

    const sequential = await newOwner(prisma, 'two@example.org');
    for (const page of pages) await storeInteractions(prisma, sequential, page, OWN);
    await refreshDirtyContacts(prisma, sequential.userId, { groupSizeLimit: 10, own: OWN });

    const distinct = new Set(pages.flat().map((m) => m.providerId)).size;
    expect(await prisma.interaction.count({ where: { accountId: concurrent.accountId } })).toBe(distinct);
    expect(await prisma.dirtyAddress.count()).toBe(0);
    const contacts = await contactsOf(prisma, concurrent.userId);
    expect(contacts.length).toBeGreaterThan(20);
    expect(contacts).toEqual(await contactsOf(prisma, sequential.userId));
  });
});

/**
 * Eight pages of 240 messages (each stored as two halves) with 60 people between them, every page
 * in its own order, each repeating 40 messages of the page before.
 */
function overlappingPages(): MessageMeta[][] {
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const person = () => `person${random(60)}@example.com`;
  const pages: MessageMeta[][] = [];
  for (let p = 0; p < 8; p++) {
    const page = (pages[p - 1] ?? []).slice(0, 40);
    for (let i = page.length; i < 240; i++) {
      const id = `p${p}-m${i}`;
      const at = new Date(Date.UTC(2026, 0, 1) + (p * 240 + i) * 3_600_000);
      const sent = random(2) === 0;
      page.push(
        makeMeta({
          providerId: id,
          threadId: `t${random(300)}`,
          internetMessageId: `<${id}@example.com>`,
          at,
          direction: sent ? 'sent' : 'received',
          from: sent ? 'me@example.org' : person(),
          to: sent ? [person(), person(), person()].join(', ') : 'me@example.org',
        }),
      );
    }
    pages.push(p % 2 === 0 ? page : page.reverse());
  }
  return pages;
}

async function newOwner(prisma: PrismaClient, email: string) {
  const user = await prisma.user.create({ data: { email } });
  const account = await prisma.mailAccount.create({ data: { userId: user.id, provider: 'gmail', email } });
  return { userId: user.id, accountId: account.id };
}

async function contactsOf(prisma: PrismaClient, userId: string) {
  const rows = await prisma.contact.findMany({ where: { userId }, include: { addresses: true } });
  return rows
    .map((c) => ({
      addresses: c.addresses.map((a) => a.address).sort(),
      sent: c.sentCount,
      received: c.receivedCount,
      last: c.lastContactAt?.toISOString(),
      cadence: c.inferredCadenceDays,
    }))
    .sort((a, b) => (a.addresses[0] ?? '').localeCompare(b.addresses[0] ?? ''));
}
