import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrismaClient } from '../../src/lib/prisma.ts';
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
});
